package dev.gatehouse.cli;

import dev.gatehouse.store.AtomicFiles;
import io.nayuki.qrcodegen.QrCode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Draws a QR code for a terminal or into a PNG file. */
final class QrRender {
  static final String ANSI_DARK_ON_LIGHT = "\u001b[30;47m";
  static final String ANSI_RESET = "\u001b[0m";

  private QrRender() {}

  static QrCode encode(String text) {
    return QrCode.encodeText(text, QrCode.Ecc.MEDIUM);
  }

  /**
   * Two modules per character cell with half blocks. With {@code ansi}, dark modules are drawn
   * black on an explicit white background (right on any terminal theme); without, light
   * modules are drawn as blocks, which is right on the usual light-text-on-dark terminal.
   */
  static String text(QrCode qr, boolean ansi) {
    int border = 2;
    int size = qr.size + 2 * border;
    StringBuilder out = new StringBuilder();
    for (int y = 0; y < size; y += 2) {
      if (ansi) {
        out.append(ANSI_DARK_ON_LIGHT);
      }
      for (int x = 0; x < size; x++) {
        boolean top = dark(qr, x - border, y - border);
        boolean bottom = y + 1 < size && dark(qr, x - border, y + 1 - border);
        if (!ansi) {
          // Draw light modules; the row past the end counts as dark (unpainted).
          top = !top;
          bottom = y + 1 < size && !bottom;
        }
        out.append(top ? (bottom ? '█' : '▀') : (bottom ? '▄' : ' '));
      }
      if (ansi) {
        out.append(ANSI_RESET);
      }
      out.append('\n');
    }
    return out.toString();
  }

  /** Writes a PNG (mode 0600: it holds the key) that any QR decoder reads back as the text. */
  static void png(QrCode qr, Path file) throws IOException {
    int scale = 8;
    int border = 4;
    int size = (qr.size + 2 * border) * scale;
    BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_BINARY);
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        boolean isDark = dark(qr, x / scale - border, y / scale - border);
        img.setRGB(x, y, isDark ? 0x000000 : 0xFFFFFF);
      }
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ImageIO.write(img, "png", bytes);
    AtomicFiles.write(file, bytes.toByteArray());
  }

  private static boolean dark(QrCode qr, int x, int y) {
    return x >= 0 && y >= 0 && x < qr.size && y < qr.size && qr.getModule(x, y);
  }
}
