package dev.gatehouse.owner;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The owner-plane accounts as the operations see them: never a password hash or a TOTP key.
 * The accounts store implements it; removing a user ends all of that user's sessions and is
 * audited with the acting user.
 */
public interface OwnerUsers {
  /** An account: its name, role, whether its authenticator is enrolled, and its TOTP lockout, if any. */
  record User(String name, Role role, boolean totpEnrolled, Optional<Instant> lockedUntil) {}

  List<User> list();

  /** Removes {@code name}, ending its sessions; false if there is no such user. */
  boolean remove(String name, String actor);

  /** The accounts of {@code accounts}, each with its TOTP lockout. */
  static OwnerUsers of(OwnerAccounts accounts) {
    return new OwnerUsers() {
      public List<User> list() {
        return accounts.list().stream().map(u -> new User(u.name(), u.role(), u.totpActive(),
            Optional.ofNullable(accounts.totpStatus(u.name()).lockedUntil()))).toList();
      }

      public boolean remove(String name, String actor) {
        if (accounts.find(name).isEmpty()) {
          return false;
        }
        accounts.remove(name, actor);
        return true;
      }
    };
  }

  /** No accounts at all. */
  OwnerUsers NONE = new OwnerUsers() {
    public List<User> list() {
      return List.of();
    }

    public boolean remove(String name, String actor) {
      return false;
    }
  };
}
