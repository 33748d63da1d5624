package dev.strata.image.driver;

import java.util.regex.Pattern;

/** The grammar of layer ids: they become directory names, so nothing that could climb or hide is accepted. */
public final class LayerIds {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,127}");

    private LayerIds() {
    }

    /** Returns {@code id} if valid; else throws {@link IllegalArgumentException} naming it. */
    public static String check(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("invalid layer id '" + id
                    + "': expected 1-128 characters of [A-Za-z0-9_-], starting with a letter or digit");
        }
        return id;
    }
}
