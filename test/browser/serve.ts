import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A page's files by URL path: body and content type. */
export type PageFiles = Map<string, { body: string | Buffer; type: string }>;

/** Serves `files` on 127.0.0.1 with a free port; nothing else is reachable. */
export async function servePage(files: PageFiles): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const file = files.get(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
