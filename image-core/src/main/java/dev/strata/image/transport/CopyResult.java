package dev.strata.image.transport;

import dev.strata.image.model.Descriptor;

import java.util.List;

/**
 * What a copy did.
 *
 * @param source      the root document as the source has it
 * @param written     the root document the destination now names (differs when layers were re-encoded, a
 *                    manifest was made, or one platform was chosen from an index)
 * @param copied      blobs whose bytes were sent
 * @param skipped     blobs the destination already had
 * @param mounted     blobs mounted from another repository of the same registry
 * @param notes       what a user should know: a manifest made or rewritten, and why its digest changed
 */
public record CopyResult(Descriptor source, Descriptor written, int copied, int skipped, int mounted,
                         List<String> notes) {
    public CopyResult {
        notes = List.copyOf(notes);
    }

    /** True when the destination's root digest is the source's. */
    public boolean digestKept() {
        return source.digest().equals(written.digest());
    }
}
