package dev.strata.image.content;

import dev.strata.image.InvalidReferenceException;

import java.util.regex.Pattern;

/**
 * The grammar of {@code org.opencontainers.image.ref.name} from the OCI image spec (annotations):
 * <pre>
 * ref       ::= component ("/" component)*
 * component ::= alphanum (separator alphanum)*
 * alphanum  ::= [A-Za-z0-9]+
 * separator ::= [-._:@+] | "--"
 * </pre>
 * skopeo's {@code oci:} transport and umoci's {@code --image} apply the same grammar, so a name that passes here
 * can be looked up with both.
 */
final class RefNames {
    /** Names are short in practice; the cap keeps hostile input from costing regex time. */
    static final int MAX_LENGTH = 1024;

    private static final String ALNUM = "[A-Za-z0-9]+";
    private static final String COMPONENT = ALNUM + "(?:(?:[-._:@+]|--)" + ALNUM + ")*";
    private static final Pattern REF = Pattern.compile(COMPONENT + "(?:/" + COMPONENT + ")*");

    private RefNames() {
    }

    static boolean isValid(String name) {
        return name != null && !name.isEmpty() && name.length() <= MAX_LENGTH && REF.matcher(name).matches();
    }

    /** @throws InvalidReferenceException naming the input and the grammar */
    static String validate(String name) {
        if (!isValid(name)) {
            String shown = name == null ? "null" : name.length() > 160 ? name.substring(0, 160) + "…" : name;
            throw new InvalidReferenceException("invalid OCI layout name '" + shown + "': expected components of "
                    + "[A-Za-z0-9] runs joined by one of - . _ : @ + or --, separated by / (OCI ref.name grammar), "
                    + "at most " + MAX_LENGTH + " characters");
        }
        return name;
    }
}
