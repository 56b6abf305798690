package dev.gatehouse.broker;

import dev.gatehouse.guard.Cidr;
import dev.gatehouse.guard.ServiceUrl;
import java.util.List;
import java.util.Map;

/** One upstream from {@code services/NAME.yaml}: where it is, how to authenticate, what may be called. */
public record Service(String name, ServiceUrl baseUrl, List<Cidr> allowPrivate, UpstreamAuth auth,
    Map<String, Action> actions, String file) {
  public Service {
    allowPrivate = List.copyOf(allowPrivate);
    actions = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(actions));
  }
}
