package dev.gatehouse.vault;

import dev.gatehouse.error.NotConfiguredException;
import dev.gatehouse.store.AtomicFiles;
import dev.gatehouse.store.HomeLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * The vault as the file {@code vault.gh} of one home: written by {@link AtomicFiles} (a
 * temporary file, fsync, rename, fsync of the folder), locked by a {@link HomeLock} on the
 * sibling {@code .vault.gh.lock} that every process of the home takes.
 */
public final class FileVaultStorage implements VaultStorage {
  private final Path file;
  private final HomeLock lock;

  public FileVaultStorage(Path file) {
    this.file = file;
    this.lock = new HomeLock(file.resolveSibling("." + file.getFileName() + ".lock"));
  }

  public Path file() {
    return file;
  }

  /** The lock every write of the file holds (with the ledger's records of it). */
  public HomeLock homeLock() {
    return lock;
  }

  @Override
  public String name() {
    return "vault.gh";
  }

  @Override
  public boolean exists() {
    return Files.exists(file);
  }

  /**
   * Same inode, size and modification time as before means the same file: every write
   * replaces it by rename, so a change is a new inode.
   */
  @Override
  public Object stamp() throws IOException {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return a.fileKey() == null ? null : List.of(a.fileKey(), a.size(), a.lastModifiedTime());
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  @Override
  public byte[] read() throws IOException {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new NotConfiguredException("no vault at " + file + "; create one with `gatehouse init`");
    }
  }

  @Override
  public Locked lock() throws IOException {
    HomeLock.Held held = lock.acquire();
    return new Locked() {
      @Override
      public boolean exists() {
        return FileVaultStorage.this.exists();
      }

      @Override
      public byte[] read() throws IOException {
        return FileVaultStorage.this.read();
      }

      @Override
      public void write(long from, long generation, byte[] bytes) throws IOException {
        AtomicFiles.write(file, bytes); // the lock is the compare: nobody else writes while it is held
      }

      @Override
      public void close() throws IOException {
        held.close();
      }
    };
  }

  @Override
  public boolean shared() {
    return false;
  }
}
