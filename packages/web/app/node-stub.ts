/** Stands in for node:crypto in the browser bundle (see src/build.ts); calling it is a bug. */
export function createHash(): never {
  throw new Error('node:crypto is not available in the dashboard');
}
export default { createHash };
