package io.pulse.e2e.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Validates a YAML document against a CRD's OpenAPI v3 (structural) schema as
 * {@code kubectl apply --validate=strict} does: types, enums, patterns, bounds, required fields, and
 * no field the schema does not name (unless it says {@code x-kubernetes-preserve-unknown-fields} or
 * gives {@code additionalProperties}). {@code metadata} is the API server's, checked apart.
 */
final class StructuralSchema {
    private StructuralSchema() {}

    /** Every way {@code node} breaks {@code schema}, each with its path; empty when it fits. */
    static List<String> violations(JsonNode node, JsonNode schema) {
        List<String> out = new ArrayList<>();
        check(node, schema, "", out, true);
        return out;
    }

    private static void check(JsonNode node, JsonNode schema, String path, List<String> out, boolean root) {
        if (schema == null || schema.isMissingNode()) {
            return;
        }
        for (String combinator : List.of("anyOf", "oneOf")) {
            if (schema.has(combinator) && !schema.path("x-kubernetes-int-or-string").asBoolean()) {
                boolean any = false;
                for (JsonNode branch : schema.get(combinator)) {
                    any |= violations(node, branch).isEmpty();
                }
                if (!any) {
                    out.add(path + ": fits none of the " + combinator + " alternatives");
                }
            }
        }
        if (schema.path("x-kubernetes-int-or-string").asBoolean()) {
            if (!node.isIntegralNumber() && !node.isTextual()) {
                out.add(path + ": must be an integer or a string, is " + node.getNodeType());
            }
            return;
        }
        String type = schema.path("type").asText("");
        switch (type) {
            case "object" -> {
                if (!node.isObject()) {
                    out.add(path + ": must be an object, is " + node.getNodeType());
                    return;
                }
                checkObject(node, schema, path, out, root);
            }
            case "array" -> {
                if (!node.isArray()) {
                    out.add(path + ": must be a list, is " + node.getNodeType());
                    return;
                }
                for (int i = 0; i < node.size(); i++) {
                    check(node.get(i), schema.path("items"), path + "[" + i + "]", out, false);
                }
            }
            case "string" -> {
                if (!node.isTextual()) {
                    out.add(path + ": must be a string, is " + node.getNodeType() + " (quote it)");
                } else if (schema.has("pattern") && !Pattern.compile(schema.get("pattern").asText()).matcher(node.asText()).find()) {
                    out.add(path + ": '" + node.asText() + "' does not match " + schema.get("pattern").asText());
                }
            }
            case "integer" -> {
                if (!node.isIntegralNumber()) {
                    out.add(path + ": must be an integer, is " + node.getNodeType());
                }
            }
            case "number" -> {
                if (!node.isNumber()) {
                    out.add(path + ": must be a number, is " + node.getNodeType());
                }
            }
            case "boolean" -> {
                if (!node.isBoolean()) {
                    out.add(path + ": must be true or false, is " + node.getNodeType());
                }
            }
            default -> {
                if (schema.has("properties") && node.isObject()) {
                    checkObject(node, schema, path, out, root);
                }
            }
        }
        if (schema.has("enum")) {
            boolean listed = false;
            for (JsonNode value : schema.get("enum")) {
                listed |= value.asText().equals(node.asText());
            }
            if (!listed) {
                out.add(path + ": '" + node.asText() + "' is not one of " + schema.get("enum"));
            }
        }
        if (schema.has("minimum") && node.isNumber() && node.asDouble() < schema.get("minimum").asDouble()) {
            out.add(path + ": " + node.asText() + " is below the minimum " + schema.get("minimum").asText());
        }
        if (schema.has("maximum") && node.isNumber() && node.asDouble() > schema.get("maximum").asDouble()) {
            out.add(path + ": " + node.asText() + " is above the maximum " + schema.get("maximum").asText());
        }
    }

    private static void checkObject(JsonNode node, JsonNode schema, String path, List<String> out, boolean root) {
        JsonNode properties = schema.path("properties");
        JsonNode additional = schema.path("additionalProperties");
        boolean open = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean() || additional.isBoolean() && additional.asBoolean();
        for (JsonNode required : schema.path("required")) {
            if (!node.has(required.asText())) {
                out.add(path + ": the required field '" + required.asText() + "' is missing");
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            String at = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
            if (root && List.of("apiVersion", "kind", "metadata").contains(field.getKey())) {
                continue; // the API server's: the CRD was picked by apiVersion and kind, metadata is checked apart
            }
            if (properties.has(field.getKey())) {
                check(field.getValue(), properties.get(field.getKey()), at, out, false);
            } else if (additional.isObject()) {
                check(field.getValue(), additional, at, out, false);
            } else if (!open) {
                out.add(at + ": unknown field (the schema names " + names(properties) + ")");
            }
        }
    }

    private static String names(JsonNode properties) {
        List<String> names = new ArrayList<>();
        properties.fieldNames().forEachRemaining(names::add);
        return names.isEmpty() ? "no fields" : String.join(", ", names);
    }
}
