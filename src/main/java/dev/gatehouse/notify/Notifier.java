package dev.gatehouse.notify;

/**
 * Tells the owner. Sending never blocks, delays or changes a decision: a notification is
 * queued (bounded), delivered in the background with retries, and a delivery failure is
 * audited.
 */
public interface Notifier {
  Notifier NONE = n -> { };

  void notify(Notification n);
}
