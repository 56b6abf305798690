package dev.gatehouse.http;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/** Reading an HTTP body into one array, cheaply and to its end. */
final class Bodies {
  private Bodies() {}

  /**
   * At most {@code max} + 1 bytes of {@code in} (one more than the limit shows the body is
   * over it). With a {@code declared} Content-Length within the limit, the array is allocated
   * at that size — {@code readNBytes(max + 1)} would allocate 16 KiB chunks for a 300-byte
   * body, and that garbage sets the GC's pace — and the stream is still read to its end:
   * Helidon reuses a keep-alive connection only once its entity has been consumed.
   *
   * @param declared the Content-Length, or -1 when there is none
   */
  static byte[] read(InputStream in, long declared, int max) throws IOException {
    if (declared < 0 || declared > max) {
      return in.readNBytes(max + 1);
    }
    byte[] body = in.readNBytes((int) declared);
    int next = in.read();
    if (next == -1) {
      return body;
    }
    // More than it declared: read on as if it had declared nothing.
    byte[] rest = in.readNBytes(max - body.length);
    byte[] all = Arrays.copyOf(body, body.length + 1 + rest.length);
    all[body.length] = (byte) next;
    System.arraycopy(rest, 0, all, body.length + 1, rest.length);
    return all;
  }
}
