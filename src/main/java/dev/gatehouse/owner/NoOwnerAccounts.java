package dev.gatehouse.owner;

import java.util.List;
import java.util.Optional;

/**
 * The owner plane of a home with no accounts store: every login and token is refused, and
 * there are no users. Fails closed until the accounts store is wired in its place.
 */
public final class NoOwnerAccounts implements OwnerAuth, OwnerUsers {
  @Override
  public LoginResult login(String user, char[] password, String code, String address) {
    return new LoginResult.Refused(null);
  }

  @Override
  public Optional<Tokens> refresh(String refreshToken, String address) {
    return Optional.empty();
  }

  @Override
  public void logout(String accessToken, String refreshToken) {}

  @Override
  public Optional<OwnerSession> authenticate(String accessToken) {
    return Optional.empty();
  }

  @Override
  public Optional<OwnerSession> reauth(OwnerSession session, String code, String address) {
    return Optional.empty();
  }

  @Override
  public List<User> list() {
    return List.of();
  }

  @Override
  public boolean remove(String name, String actor) {
    return false;
  }
}
