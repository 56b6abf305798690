package dev.gatehouse.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The only way Gatehouse writes a state file.
 *
 * <p>Guarantee: after {@link #write} returns, the new content is durable; if the process or
 * the machine dies at any instant during the call, the target holds either its old content
 * or the new one, never a mix, and never an empty or partial file. The steps are: write a
 * temporary file in the same folder (mode 0600 from its creation), fsync it, rename it over
 * the target (atomic on POSIX file systems), fsync the folder so the rename itself survives.
 *
 * <p>{@link #replace} skips the last step, for files that may lag behind after a crash (a
 * cache, a statement the next one supersedes): the target still holds the old or the new
 * content, never a mix, at one fsync instead of two.
 *
 * <p>A crash can leave a stray {@code .NAME.tmp-*} file behind; it never replaces the target
 * and is ignored by readers.
 */
public final class AtomicFiles {
  /** rw------- : the mode of every state file. */
  public static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  private AtomicFiles() {}

  public static void write(Path target, byte[] content) throws IOException {
    replace(target, content);
    fsyncDirectory(target.toAbsolutePath().getParent());
  }

  /**
   * Atomic but not durable: once this returns, readers see the new content; after a crash,
   * the old or the new one.
   */
  public static void replace(Path target, byte[] content) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Path temp = Files.createTempFile(dir, "." + target.getFileName() + ".tmp-", "",
        PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    boolean moved = false;
    try {
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(content);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("the file system of " + dir + " cannot rename atomically", e);
      }
      moved = true;
    } finally {
      if (!moved) {
        Files.deleteIfExists(temp);
      }
    }
  }

  /** Deletes {@code target} if it exists, durably (the folder is fsynced). */
  public static boolean delete(Path target) throws IOException {
    boolean deleted = Files.deleteIfExists(target);
    if (deleted) {
      fsyncDirectory(target.toAbsolutePath().getParent());
    }
    return deleted;
  }

  /**
   * Overwrites {@code target}'s bytes with zeros in place, fsyncs, then deletes it durably.
   * This removes the plaintext from the file system's view of that file; copy-on-write file
   * systems, SSD wear levelling and backups may still hold old blocks.
   */
  public static void shred(Path target) throws IOException {
    try (FileChannel ch = FileChannel.open(target, StandardOpenOption.WRITE)) {
      long size = ch.size();
      ByteBuffer zeros = ByteBuffer.allocate(8192);
      for (long pos = 0; pos < size; ) {
        zeros.clear().limit((int) Math.min(zeros.capacity(), size - pos));
        pos += ch.write(zeros, pos);
      }
      ch.force(true);
    }
    delete(target);
  }

  public static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
