package dev.strata.image.bundle;

import dev.strata.image.InvalidImageException;
import dev.strata.image.NotFoundException;
import dev.strata.image.fs.RootedFs;
import dev.strata.image.fs.RootedFsException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@link ExecUser#resolve}: libcontainer's {@code GetExecUser} over files read inside an untrusted root. One
 * deliberate difference: a line whose uid or gid is not a number is skipped (libcontainer reads it as 0, root).
 */
final class UserResolver {
    static final int MAX_FILE_SIZE = 1 << 20;
    /** As the kernel's limit on symlinks followed in one lookup (ELOOP after 40). */
    private static final int MAX_SYMLINKS = 40;
    private static final long MAX_ID = Integer.MAX_VALUE;

    private record Passwd(String name, long uid, long gid, String home) {
    }

    private record Group(String name, long gid, List<String> members) {
    }

    private UserResolver() {
    }

    static ExecUser resolve(Path rootfs, String spec) throws IOException {
        String userArg = "";
        String groupArg = "";
        if (spec != null) {
            String[] parts = spec.trim().split(":", -1);
            userArg = parts[0];
            groupArg = parts.length > 1 ? parts[1] : "";
        }
        Optional<String> passwdText;
        Optional<String> groupText;
        try (RootedFs root = RootedFs.open(rootfs)) {
            passwdText = readInRoot(root, "etc/passwd");
            groupText = readInRoot(root, "etc/group");
        }
        List<Passwd> users = passwdText.map(UserResolver::parsePasswd).orElse(List.of());
        List<Group> groups = groupText.map(UserResolver::parseGroup).orElse(List.of());

        long uid = 0;
        long gid = 0;
        String home = "/";
        Long uidArg = number(userArg);
        Long gidArg = number(groupArg);
        Passwd matched = null;
        for (Passwd p : users) {
            boolean hit = userArg.isEmpty() ? p.uid == 0 : uidArg != null ? p.uid == uidArg : p.name.equals(userArg);
            if (hit) {
                matched = p; // first match wins, as in libcontainer
                break;
            }
        }
        if (matched != null) {
            uid = matched.uid;
            gid = matched.gid;
            home = matched.home.isEmpty() ? "/" : matched.home;
        } else if (!userArg.isEmpty()) {
            if (uidArg == null) {
                throw new NotFoundException("unable to find user " + userArg + ": no matching entries in "
                        + (passwdText.isPresent() ? "" : "the absent ") + "/etc/passwd of " + rootfs);
            }
            uid = inRange(uidArg, "uid", userArg);
        }

        List<Long> additional = new ArrayList<>();
        if (!groupArg.isEmpty()) {
            Group found = null;
            for (Group g : groups) {
                if (gidArg != null ? g.gid == gidArg : g.name.equals(groupArg)) {
                    found = g;
                    break;
                }
            }
            if (found != null) {
                gid = found.gid;
            } else if (gidArg == null) {
                throw new NotFoundException("unable to find group " + groupArg + ": no matching entries in "
                        + (groupText.isPresent() ? "" : "the absent ") + "/etc/group of " + rootfs);
            } else {
                gid = inRange(gidArg, "gid", groupArg);
            }
        } else if (matched != null) {
            // Supplementary groups only in the implicit form, and only for a user known by name.
            for (Group g : groups) {
                if (g.members.contains(matched.name)) {
                    additional.add(g.gid);
                }
            }
        }
        return new ExecUser(uid, gid, additional, home);
    }

    /**
     * The content of the regular file {@code path} under {@code root}, empty when nothing is there. Parents are
     * resolved by {@link RootedFs} as if chrooted; a final symlink is followed here by hand, the same way (an
     * absolute target restarts at the root, {@code ..} stops there), so a link to {@code /etc/shadow} reads the
     * root's own {@code etc/shadow}, never the host's.
     */
    static Optional<String> readInRoot(RootedFs root, String path) throws IOException {
        String current = path;
        for (int hops = 0; hops <= MAX_SYMLINKS; hops++) {
            try (InputStream in = root.openRead(current)) {
                byte[] bytes = in.readNBytes(MAX_FILE_SIZE + 1);
                if (bytes.length > MAX_FILE_SIZE) {
                    throw new InvalidImageException("/" + path + " of " + root.root() + " is larger than "
                            + MAX_FILE_SIZE + " bytes");
                }
                return Optional.of(new String(bytes, StandardCharsets.UTF_8));
            } catch (NoSuchFileException e) {
                return Optional.empty();
            } catch (RootedFsException e) {
                if ("ENOTDIR".equals(e.errnoName())) {
                    return Optional.empty();
                }
                if (!"ELOOP".equals(e.errnoName())) {
                    throw new InvalidImageException("cannot read /" + path + " of " + root.root() + ": "
                            + e.getMessage(), e);
                }
            }
            String target;
            try {
                target = root.readlink(current);
            } catch (RootedFsException e) {
                // ELOOP from the parents (a symlink cycle among directories), or a swap since the open
                throw new InvalidImageException("cannot resolve /" + path + " in " + root.root() + ": "
                        + e.getMessage(), e);
            }
            if (target.startsWith("/")) {
                current = target;
            } else {
                int slash = current.lastIndexOf('/');
                current = (slash < 0 ? "" : current.substring(0, slash + 1)) + target;
            }
        }
        throw new InvalidImageException("/" + path + " of " + root.root() + ": more than " + MAX_SYMLINKS
                + " symlinks");
    }

    private static List<Passwd> parsePasswd(String text) {
        List<Passwd> out = new ArrayList<>();
        for (String[] f : lines(text)) {
            // name:password:UID:GID:GECOS:directory:shell
            Long uid = number(field(f, 2));
            Long gid = number(field(f, 3));
            if (uid != null && gid != null) {
                out.add(new Passwd(f[0], uid, gid, field(f, 5)));
            }
        }
        return out;
    }

    private static List<Group> parseGroup(String text) {
        List<Group> out = new ArrayList<>();
        for (String[] f : lines(text)) {
            // name:password:GID:member,member
            Long gid = number(field(f, 2));
            String members = field(f, 3);
            if (gid != null) {
                out.add(new Group(f[0], gid, members.isEmpty() ? List.of()
                        : Arrays.asList(members.split(",", -1))));
            }
        }
        return out;
    }

    private static List<String[]> lines(String text) {
        List<String[]> out = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            line = line.strip();
            if (!line.isEmpty() && line.charAt(0) != '#') {
                out.add(line.split(":", -1));
            }
        }
        return out;
    }

    private static String field(String[] fields, int i) {
        return i < fields.length ? fields[i] : "";
    }

    /** A decimal number (digits only: no sign, no spaces), or null. */
    private static Long number(String s) {
        if (s.isEmpty() || s.length() > 18) {
            return null;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return null;
            }
        }
        return Long.parseLong(s);
    }

    private static long inRange(long id, String what, String spelled) {
        if (id > MAX_ID) {
            throw new InvalidImageException(what + " " + spelled + " is out of range (0 to " + MAX_ID + ")");
        }
        return id;
    }
}
