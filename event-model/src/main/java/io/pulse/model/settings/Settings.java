package io.pulse.model.settings;

import java.io.Serializable;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/** Resolved settings with typed, validated reads; a bad value names its key and what is expected. */
public final class Settings implements Serializable {
    private static final long serialVersionUID = 1L;
    private final TreeMap<String, String> values;

    public Settings(Map<String, String> values) {
        this.values = new TreeMap<>(values);
    }

    public static Settings load(Map<String, String> defaults, String[] args) {
        return new Settings(SettingsLoader.load(defaults, args, System::getenv));
    }

    public String string(String key) {
        String value = values.get(key);
        if (value == null) {
            throw new IllegalArgumentException("setting '" + key + "' is not defined");
        }
        return value;
    }

    public int integer(String key) {
        try {
            return Integer.parseInt(string(key).strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting '" + key + "' must be a whole number, got '" + string(key) + "'");
        }
    }

    public double decimal(String key) {
        try {
            return Double.parseDouble(string(key).strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting '" + key + "' must be a number, got '" + string(key) + "'");
        }
    }

    public boolean flag(String key) {
        String v = string(key).strip().toLowerCase();
        if (v.equals("true") || v.equals("false")) {
            return Boolean.parseBoolean(v);
        }
        throw new IllegalArgumentException("setting '" + key + "' must be true or false, got '" + string(key) + "'");
    }

    /** "10s", "2m", "500ms", "1h", or ISO-8601 "PT10S". */
    public Duration duration(String key) {
        return parseDuration(key, string(key));
    }

    /** {@link #duration} of a raw value; the error names {@code key}. */
    public static Duration parseDuration(String key, String value) {
        String v = value == null ? "" : value.strip();
        try {
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            char unit = v.charAt(v.length() - 1);
            String number = v.substring(0, v.length() - 1);
            return switch (unit) {
                case 's' -> Duration.ofSeconds(Long.parseLong(number));
                case 'm' -> Duration.ofMinutes(Long.parseLong(number));
                case 'h' -> Duration.ofHours(Long.parseLong(number));
                default -> Duration.parse(v);
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("setting '" + key + "' must be a duration such as 10s, 2m or 500ms, got '" + v + "'");
        }
    }

    public Map<String, String> asMap() {
        return Map.copyOf(values);
    }

    @Override
    public String toString() {
        return SettingsLoader.describe(values);
    }
}
