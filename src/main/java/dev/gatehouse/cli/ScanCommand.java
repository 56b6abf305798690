package dev.gatehouse.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.error.BadInputException;
import dev.gatehouse.guard.InjectionFlag;
import dev.gatehouse.guard.InjectionScanner;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Prompt-injection flags for text on standard input (DESIGN §9); needs no home. */
@Command(name = "scan", mixinStandardHelpOptions = true,
    description = {"Flag prompt-injection signs in text read on standard input; prints "
        + "{\"flagged\": BOOL, \"flags\": [{\"kind\": K, \"detail\": TEXT}]}. The text is only read, never changed.",
        "With --lines, each input line is one JSON string, or an object with a string \"text\", and each output line "
            + "is that line's result, in order. The first malformed line stops the run: the results before it are "
            + "printed, the error names the line number.",
        "Only the first 1,048,576 characters of a text are scanned. A flag is a signal, not a verdict: see docs/injection.md.",
        "Exit: 0 clean (always 0 with --lines when every line was read), 1 flagged, 2 malformed input."})
final class ScanCommand extends HomeCommand {
  /** Bytes read from standard input for one text; what follows is read and ignored (only MAX_CHARS are scanned). */
  static final int MAX_INPUT_BYTES = 4 * InjectionScanner.MAX_CHARS;
  /** The longest line --lines accepts, in characters (a JSON-escaped text can be 6 times its length). */
  static final int MAX_LINE_CHARS = 8 * InjectionScanner.MAX_CHARS;

  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--lines", description = "Read one JSON string (or object with \"text\") per line; write one result per line.")
  boolean lines;

  private final InjectionScanner scanner = new InjectionScanner();

  @Override
  Integer execute() throws IOException {
    if (lines) {
      return scanLines();
    }
    String text = readText(env().stdin());
    List<InjectionFlag> flags = scanner.scan(text);
    out().print(result(flags) + "\n");
    out().flush();
    return flags.isEmpty() ? ExitCodes.OK : ExitCodes.NO;
  }

  private int scanLines() throws IOException {
    PrintWriter out = out();
    Reader in = new java.io.BufferedReader(new InputStreamReader(env().stdin(), StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE)), 1 << 16);
    StringBuilder line = new StringBuilder();
    long number = 0;
    try {
      while (true) {
        line.setLength(0);
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
          if (line.length() >= MAX_LINE_CHARS) {
            throw new BadInputException("line " + (number + 1) + ": longer than " + MAX_LINE_CHARS + " characters");
          }
          line.append((char) c);
        }
        if (c == -1 && line.isEmpty()) {
          return ExitCodes.OK;
        }
        number++;
        String text = textOf(line, number);
        out.print(result(scanner.scan(text)) + "\n");
        if (c == -1) {
          return ExitCodes.OK;
        }
      }
    } finally {
      out.flush();
    }
  }

  /** The text a --lines line carries: a JSON string, or an object whose "text" is a string. */
  static String textOf(CharSequence line, long number) {
    int end = line.length();
    if (end > 0 && line.charAt(end - 1) == '\r') {
      end--;
    }
    JsonNode node;
    try {
      node = JSON.readTree(line.subSequence(0, end).toString());
    } catch (JsonProcessingException e) {
      throw malformed(number);
    }
    if (node != null && node.isTextual()) {
      return node.textValue();
    }
    if (node != null && node.isObject() && node.get("text") != null && node.get("text").isTextual()) {
      return node.get("text").textValue();
    }
    throw malformed(number);
  }

  private static BadInputException malformed(long number) {
    return new BadInputException("line " + number + ": expected a JSON string or an object with a string \"text\""
        + " (lines before it were scanned; nothing after it was)");
  }

  private static String readText(InputStream in) throws IOException {
    byte[] head = in.readNBytes(MAX_INPUT_BYTES);
    in.transferTo(java.io.OutputStream.nullOutputStream());
    return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
        .onUnmappableCharacter(CodingErrorAction.REPLACE).decode(java.nio.ByteBuffer.wrap(head)).toString();
  }

  /** One result object on one line: {"flagged":BOOL,"flags":[{"kind":K,"detail":D}]}. */
  static String result(List<InjectionFlag> flags) throws IOException {
    StringWriter w = new StringWriter(64 + 64 * flags.size());
    try (JsonGenerator g = JSON.getFactory().createGenerator(w)) {
      g.writeStartObject();
      g.writeBooleanField("flagged", !flags.isEmpty());
      g.writeArrayFieldStart("flags");
      for (InjectionFlag f : flags) {
        g.writeStartObject();
        g.writeStringField("kind", f.kind());
        g.writeStringField("detail", f.detail());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    return w.toString();
  }
}
