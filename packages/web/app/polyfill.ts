/**
 * The SDK reads the event stream with `for await` over a fetch body; Safari's ReadableStream is
 * not async-iterable yet. This adds the standard iterator where it is missing (a reader loop).
 */
const proto = ReadableStream.prototype as ReadableStream & { [Symbol.asyncIterator]?: unknown };
if (!proto[Symbol.asyncIterator]) {
  proto[Symbol.asyncIterator] = async function* (this: ReadableStream) {
    const reader = this.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  };
}
