// Writes rows of grayscale images side by side as one PNG (pngjs), each pixel scaled up.
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';

/** rows: arrays of Float32Array images (height x width, values in [0, 1]). */
export function writeGrid(file, rows, height, width, scale = 3, gap = 2) {
  const columns = rows[0].length;
  const png = new PNG({ width: columns * (width * scale + gap) - gap, height: rows.length * (height * scale + gap) - gap });
  png.data.fill(255);
  rows.forEach((row, r) => row.forEach((image, c) => {
    for (let y = 0; y < height * scale; y++) {
      for (let x = 0; x < width * scale; x++) {
        const v = Math.round(255 * Math.min(1, Math.max(0, image[Math.floor(y / scale) * width + Math.floor(x / scale)])));
        const px = c * (width * scale + gap) + x;
        const py = r * (height * scale + gap) + y;
        const o = (py * png.width + px) * 4;
        png.data[o] = png.data[o + 1] = png.data[o + 2] = v;
        png.data[o + 3] = 255;
      }
    }
  }));
  writeFileSync(file, PNG.sync.write(png));
}
