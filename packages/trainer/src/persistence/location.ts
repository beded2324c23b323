import type * as tf from '@tensorflow/tfjs';

// Which persistence a save or load goes to: a directory path (Node's file system) or tf.io.

/** Where a trainer is saved or loaded: a directory path (Node), a tf.io URL, or a tf.io handler. */
export type TrainerLocation = string | tf.io.IOHandler;

/** `scheme://...`: a tf.io URL rather than a directory path (a Windows drive letter has no '//'). */
export function isTfjsUrl(location: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location);
}

/** A string without a URL scheme: a directory for the file-system persistence. */
export function isDirectoryPath(location: unknown): location is string {
  return typeof location === 'string' && !isTfjsUrl(location);
}

/** How messages name a location (a URL as given; a handler has no name of its own). */
export function describeLocation(location: TrainerLocation): string {
  return typeof location === 'string' ? location : 'the tf.io handler';
}
