package dev.gatehouse.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Mutual exclusion for a read-check-write of state, across threads of this process and across
 * processes (the CLI, the exec gate and the daemon may verify at the same moment).
 *
 * <p>A POSIX advisory lock on a lock file guards other processes; the JVM allows one such
 * lock per file and process, so threads of this process first take an in-process lock shared
 * by every {@code HomeLock} on the same path.
 */
public final class HomeLock {
  /**
   * The JVM refuses a second lock on a file this process already locks, and it does so for
   * the whole process: so the in-process lock is per file for the whole process too.
   */
  private static final ConcurrentHashMap<Path, ReentrantLock> THREAD_LOCKS = new ConcurrentHashMap<>();

  private final Path lockFile;
  private final ReentrantLock threads;

  public HomeLock(Path lockFile) {
    this.lockFile = lockFile.toAbsolutePath().normalize();
    this.threads = THREAD_LOCKS.computeIfAbsent(this.lockFile, p -> new ReentrantLock());
  }

  /** Blocks until this thread holds the lock; close the result to release it. */
  public Held acquire() throws IOException {
    if (threads.isHeldByCurrentThread()) {
      throw new IllegalStateException("HomeLock is not reentrant");
    }
    threads.lock();
    FileChannel channel = null;
    try {
      channel = openLockFile();
      FileLock fileLock = channel.lock();
      return new Held(channel, fileLock);
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        channel.close();
      }
      threads.unlock();
      throw e;
    }
  }

  private FileChannel openLockFile() throws IOException {
    return FileChannel.open(lockFile, Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE),
        PosixFilePermissions.asFileAttribute(AtomicFiles.OWNER_ONLY));
  }

  /** A held lock. Not reentrant across processes; release it on the thread that took it. */
  public final class Held implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock fileLock;

    private Held(FileChannel channel, FileLock fileLock) {
      this.channel = channel;
      this.fileLock = fileLock;
    }

    @Override
    public void close() throws IOException {
      try {
        fileLock.release();
        channel.close();
      } finally {
        threads.unlock();
      }
    }
  }
}
