package dev.gatehouse.guard;

/**
 * One prompt-injection finding in a text: a {@code kind} (DESIGN §9: {@code instruction_override},
 * {@code role_switch}, {@code template_token}, {@code encoded_instructions},
 * {@code invisible_characters}, {@code confusables}, {@code delimiter_injection},
 * {@code secret_request}) and a short, printable {@code detail} that never quotes more than a
 * few words of the text.
 */
public record InjectionFlag(String kind, String detail) {}
