export * from './untrusted-tar.ts';
