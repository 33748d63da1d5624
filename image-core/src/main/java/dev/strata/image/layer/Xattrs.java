package dev.strata.image.layer;

import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** Which extended attributes belong to an image's content and which belong to the host. */
final class Xattrs {
    private Xattrs() {
    }

    /**
     * False for attributes that describe the host, not the image: overlayfs bookkeeping (opaque, redirect, origin…)
     * and SELinux labels, which the host assigns.
     */
    static boolean carried(String name) {
        return !name.startsWith("trusted.overlay.") && !name.startsWith("user.overlay.")
                && !name.equals("security.selinux");
    }

    /** The attributes of {@code all} that are part of the image. */
    static SortedMap<String, byte[]> carriedOnly(SortedMap<String, byte[]> all) {
        SortedMap<String, byte[]> out = new TreeMap<>();
        for (Map.Entry<String, byte[]> e : all.entrySet()) {
            if (carried(e.getKey())) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    /** Equality by content (byte arrays do not compare by value in a map). */
    static boolean equal(SortedMap<String, byte[]> a, SortedMap<String, byte[]> b) {
        if (a.size() != b.size()) {
            return false;
        }
        Iterator<Map.Entry<String, byte[]>> ia = a.entrySet().iterator();
        Iterator<Map.Entry<String, byte[]>> ib = b.entrySet().iterator();
        while (ia.hasNext()) {
            Map.Entry<String, byte[]> ea = ia.next();
            Map.Entry<String, byte[]> eb = ib.next();
            if (!ea.getKey().equals(eb.getKey()) || !Arrays.equals(ea.getValue(), eb.getValue())) {
                return false;
            }
        }
        return true;
    }

    /** True when {@code value} is exactly {@code y}, as overlayfs writes its boolean attributes. */
    static boolean isYes(byte[] value) {
        return value != null && value.length == 1 && value[0] == 'y';
    }
}
