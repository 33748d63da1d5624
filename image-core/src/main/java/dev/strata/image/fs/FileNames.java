package dev.strata.image.fs;

import java.nio.charset.StandardCharsets;

/**
 * The one codec between file names as Linux and tar hold them (bytes, any but NUL) and the Strings the library
 * passes around. A name that is valid UTF-8 decodes to its characters; every byte that is not part of a valid UTF-8
 * sequence becomes a lone low surrogate {@code U+DC80..U+DCFF} (the byte plus {@code 0xDC00}), the
 * "surrogateescape" mapping of Python's {@code os.fsdecode}. {@link #encode} undoes it exactly, so
 * {@code encode(decode(b))} equals {@code b} for every byte string, whatever the JVM's locale
 * ({@code sun.jnu.encoding}) says. Only bytes {@code 0x80..0xFF} are ever escaped: {@code /}, {@code .} and NUL
 * mean in a decoded String exactly what they mean in the bytes, so checks on Strings stay checks on the name.
 *
 * <p>{@code java.nio.file.Path} cannot carry such names (it decodes with the locale's charset and replaces what it
 * cannot map), which is why names from images only ever reach the kernel through this class.
 */
public final class FileNames {
    private static final char ESCAPE_BASE = 0xDC00;

    private FileNames() {
    }

    /** {@code bytes} as a name: UTF-8 where valid, each other byte as {@code U+DC80..U+DCFF}. */
    public static String decode(byte[] bytes) {
        return decode(bytes, 0, bytes.length);
    }

    /** {@link #decode(byte[])} of {@code bytes[off..off+len)}. */
    public static String decode(byte[] bytes, int off, int len) {
        int end = off + len;
        int i = off;
        while (i < end && bytes[i] >= 0) {
            i++;
        }
        if (i == end) {
            return new String(bytes, off, len, StandardCharsets.ISO_8859_1); // ASCII: the common case
        }
        StringBuilder sb = null;
        int plainFrom = off; // start of the run of valid UTF-8 not yet copied into sb
        while (i < end) {
            int b = bytes[i] & 0xff;
            if (b < 0x80) {
                i++;
                continue;
            }
            int n = validSequence(bytes, i, end);
            if (n > 0) {
                i += n;
                continue;
            }
            if (sb == null) {
                sb = new StringBuilder(len + 8);
            }
            sb.append(new String(bytes, plainFrom, i - plainFrom, StandardCharsets.UTF_8));
            sb.append((char) (ESCAPE_BASE + b));
            i++;
            plainFrom = i;
        }
        if (sb == null) {
            return new String(bytes, off, len, StandardCharsets.UTF_8);
        }
        return sb.append(new String(bytes, plainFrom, end - plainFrom, StandardCharsets.UTF_8)).toString();
    }

    /**
     * The bytes of {@code name}: UTF-8, with each {@code U+DC80..U+DCFF} written back as its byte. A lone surrogate
     * outside that range has no bytes and is refused ({@link IllegalArgumentException}); {@link #decode} never
     * makes one.
     */
    public static byte[] encode(String name) {
        int n = name.length();
        boolean plain = true;
        for (int i = 0; i < n; i++) {
            if (Character.isSurrogate(name.charAt(i))) {
                plain = false;
                break;
            }
        }
        if (plain) {
            return name.getBytes(StandardCharsets.UTF_8);
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(n + 8);
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            if (isEscape(c)) {
                out.write(c - ESCAPE_BASE);
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(name.charAt(i + 1))) {
                out.writeBytes(name.substring(i, i + 2).getBytes(StandardCharsets.UTF_8));
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(String.format(
                        "name has a lone surrogate U+%04X that stands for no byte: %s", (int) c, display(name)));
            } else {
                out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toByteArray();
    }

    /**
     * Orders names as their bytes ({@link #encode}) compare, unsigned, with {@code /} below every other byte when
     * {@code slashFirst} (depth-first tree order of whole paths: a directory right before its descendants). Without
     * escaped bytes that is code point order, since UTF-8 keeps it; String's natural order compares UTF-16 units
     * and differs beyond the BMP.
     */
    public static int compare(String a, String b, boolean slashFirst) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                if (!isEscape(ca) && !isEscape(cb)) {
                    return Integer.compare(slashFirst && ca == '/' ? 0 : ca, slashFirst && cb == '/' ? 0 : cb);
                }
                // An escaped byte against another character: the bytes from here on decide (rare).
                return compareBytes(encode(a.substring(i)), encode(b.substring(j)), slashFirst);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    private static int compareBytes(byte[] a, byte[] b, boolean slashFirst) {
        int n = Math.min(a.length, b.length);
        for (int k = 0; k < n; k++) {
            int x = a[k] & 0xff;
            int y = b[k] & 0xff;
            if (x != y) {
                return Integer.compare(slashFirst && x == '/' ? 0 : x, slashFirst && y == '/' ? 0 : y);
            }
        }
        return Integer.compare(a.length, b.length);
    }

    /** Whether {@code name} holds bytes that are not UTF-8 (as {@link #decode} escaped them). */
    public static boolean hasEscapes(String name) {
        for (int i = 0; i < name.length(); i++) {
            if (isEscape(name.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code bytes} is valid UTF-8 throughout (what {@link #decode} would escape nothing of). */
    public static boolean isUtf8(byte[] bytes) {
        for (int i = 0; i < bytes.length; ) {
            if (bytes[i] >= 0) {
                i++;
                continue;
            }
            int n = validSequence(bytes, i, bytes.length);
            if (n == 0) {
                return false;
            }
            i += n;
        }
        return true;
    }

    /**
     * {@code name} on one line, unambiguously: {@code \\} for a backslash, {@code \n}, {@code \t}, {@code \r},
     * {@code \xHH} for other control bytes, DEL and bytes that are not UTF-8, <code>&#92;uHHHH</code> (beyond the
     * BMP <code>&#92;UHHHHHHHH</code>) for invisible or line-breaking characters (C1 controls, Unicode format
     * characters such as bidi overrides, line and paragraph separators), and {@code \x20} for spaces at the very end,
     * which would otherwise not show. Every other character is printed as it is, so a UTF-8 name reads as it is.
     */
    public static String display(String name) {
        int trailingSpaces = 0;
        while (trailingSpaces < name.length() && name.charAt(name.length() - 1 - trailingSpaces) == ' ') {
            trailingSpaces++;
        }
        StringBuilder sb = null;
        int n = name.length();
        for (int i = 0; i < n; ) {
            int cp = name.codePointAt(i);
            String esc = escapeOf(cp, i >= n - trailingSpaces);
            if (esc != null && sb == null) {
                sb = new StringBuilder(n + 16).append(name, 0, i);
            }
            if (sb != null) {
                if (esc != null) {
                    sb.append(esc);
                } else {
                    sb.appendCodePoint(cp);
                }
            }
            i += Character.charCount(cp);
        }
        return sb == null ? name : sb.toString();
    }

    private static String escapeOf(int cp, boolean trailing) {
        if (cp == '\\') {
            return "\\\\";
        }
        if (cp == ' ') {
            return trailing ? "\\x20" : null;
        }
        if (cp == '\n') {
            return "\\n";
        }
        if (cp == '\t') {
            return "\\t";
        }
        if (cp == '\r') {
            return "\\r";
        }
        if (cp < 0x20 || cp == 0x7f) {
            return String.format("\\x%02x", cp);
        }
        if (cp < 0x80) {
            return null;
        }
        if (isEscape(cp)) {
            return String.format("\\x%02x", cp - ESCAPE_BASE);
        }
        int type = Character.getType(cp);
        if (type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE) {
            return cp <= 0xffff ? String.format("\\u%04x", cp) : String.format("\\U%08x", cp);
        }
        return null;
    }

    private static boolean isEscape(int c) {
        return c >= 0xDC80 && c <= 0xDCFF;
    }

    /**
     * Length of the well-formed UTF-8 sequence (Unicode table 3-7: no overlong forms, no surrogates, nothing past
     * U+10FFFF) of two or more bytes starting at {@code i}, or 0 when there is none.
     */
    private static int validSequence(byte[] b, int i, int end) {
        int b0 = b[i] & 0xff;
        int need;
        int lo = 0x80;
        int hi = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            need = 1;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            need = 2;
            if (b0 == 0xE0) {
                lo = 0xA0;
            } else if (b0 == 0xED) {
                hi = 0x9F;
            }
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            need = 3;
            if (b0 == 0xF0) {
                lo = 0x90;
            } else if (b0 == 0xF4) {
                hi = 0x8F;
            }
        } else {
            return 0;
        }
        if (i + need >= end) {
            return 0;
        }
        int b1 = b[i + 1] & 0xff;
        if (b1 < lo || b1 > hi) {
            return 0;
        }
        for (int k = 2; k <= need; k++) {
            int bk = b[i + k] & 0xff;
            if (bk < 0x80 || bk > 0xBF) {
                return 0;
            }
        }
        return need + 1;
    }
}
