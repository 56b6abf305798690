package dev.gatehouse.notify;

import java.io.IOException;
import java.util.Optional;

/** Reads a vault entry's bytes (a webhook's HMAC key); the caller wipes them after use. */
@FunctionalInterface
public interface SecretLookup {
  Optional<byte[]> bytes(String name) throws IOException;
}
