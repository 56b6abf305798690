package dev.gatehouse.store;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Child process for {@link AtomicFilesCrashTest}: rewrites one file forever through
 * {@link AtomicFiles#write} (or {@link AtomicFiles#replace} when its second argument says
 * {@code replace}), each version self-checking (its own SHA-256 at the end) and of a
 * different size, until it is killed.
 */
public final class AtomicWriteLoop {
  public static void main(String[] args) throws Exception {
    Path target = Path.of(args[0]);
    boolean durable = args.length < 2 || args[1].equals("write");
    for (long gen = 0; ; gen++) {
      if (durable) {
        AtomicFiles.write(target, version(gen));
      } else {
        AtomicFiles.replace(target, version(gen));
      }
      if (gen == 0) {
        System.out.println("ready");
        System.out.flush();
      }
    }
  }

  static byte[] version(long gen) throws Exception {
    String body = "gen " + gen + "\n" + "x".repeat((int) (gen % 5000)) + "\n";
    String sum = HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.US_ASCII)));
    return (body + sum + "\n").getBytes(StandardCharsets.US_ASCII);
  }

  /** The generation in {@code content} if it is a whole, intact version; -1 otherwise. */
  static long check(byte[] content) throws Exception {
    String s = new String(content, StandardCharsets.US_ASCII);
    int lastNl = s.lastIndexOf('\n', s.length() - 2);
    if (lastNl < 0 || !s.startsWith("gen ")) {
      return -1;
    }
    long gen = Long.parseLong(s.substring(4, s.indexOf('\n')));
    return java.util.Arrays.equals(version(gen), content) ? gen : -1;
  }
}
