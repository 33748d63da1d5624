package dev.strata.image.model;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes manifests and indexes as compact JSON with a fixed member order and sorted annotation keys, so the same
 * parts always give the same bytes and therefore the same digest.
 */
final class DocumentWriter {
    private DocumentWriter() {
    }

    static byte[] manifest(String mediaType, Descriptor config, List<Descriptor> layers,
                           Map<String, String> annotations) {
        return Json.write(g -> {
            g.writeStartObject();
            g.writeNumberField("schemaVersion", 2);
            g.writeStringField("mediaType", mediaType);
            g.writeFieldName("config");
            descriptor(g, config);
            g.writeArrayFieldStart("layers");
            for (Descriptor layer : layers) {
                descriptor(g, layer);
            }
            g.writeEndArray();
            stringMap(g, "annotations", annotations);
            g.writeEndObject();
        });
    }

    static byte[] index(String mediaType, List<Descriptor> manifests, Map<String, String> annotations) {
        return Json.write(g -> {
            g.writeStartObject();
            g.writeNumberField("schemaVersion", 2);
            g.writeStringField("mediaType", mediaType);
            g.writeArrayFieldStart("manifests");
            for (Descriptor m : manifests) {
                descriptor(g, m);
            }
            g.writeEndArray();
            stringMap(g, "annotations", annotations);
            g.writeEndObject();
        });
    }

    private static void descriptor(JsonGenerator g, Descriptor d) throws IOException {
        g.writeStartObject();
        g.writeStringField("mediaType", d.mediaType());
        g.writeStringField("digest", d.digest().toString());
        g.writeNumberField("size", d.size());
        if (!d.urls().isEmpty()) {
            g.writeArrayFieldStart("urls");
            for (String url : d.urls()) {
                g.writeString(url);
            }
            g.writeEndArray();
        }
        stringMap(g, "annotations", d.annotations());
        if (d.platform() != null) {
            Platform p = d.platform();
            g.writeObjectFieldStart("platform");
            g.writeStringField("architecture", p.architecture());
            g.writeStringField("os", p.os());
            if (p.osVersion() != null) {
                g.writeStringField("os.version", p.osVersion());
            }
            if (!p.osFeatures().isEmpty()) {
                g.writeArrayFieldStart("os.features");
                for (String f : p.osFeatures()) {
                    g.writeString(f);
                }
                g.writeEndArray();
            }
            if (p.variant() != null) {
                g.writeStringField("variant", p.variant());
            }
            g.writeEndObject();
        }
        if (d.artifactType() != null) {
            g.writeStringField("artifactType", d.artifactType());
        }
        g.writeEndObject();
    }

    private static void stringMap(JsonGenerator g, String name, Map<String, String> map) throws IOException {
        if (map == null || map.isEmpty()) {
            return;
        }
        g.writeObjectFieldStart(name);
        for (Map.Entry<String, String> e : new TreeMap<>(map).entrySet()) {
            g.writeStringField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
    }
}
