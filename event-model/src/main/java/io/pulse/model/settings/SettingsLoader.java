package io.pulse.model.settings;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Key/value settings of a job or tool, layered: built-in defaults, then properties files
 * ({@code --settings FILE}, repeatable, a later file wins), then environment variables ({@code PULSE_<KEY>} with dots as
 * underscores, e.g. {@code PULSE_POSTGRES_PASSWORD} for {@code postgres.password}), then
 * command-line flags ({@code --key value} or {@code --key=value}). Unknown keys are errors that
 * list the known ones. Secrets (keys containing "password" or "secret") print masked.
 */
public final class SettingsLoader {
    private SettingsLoader() {}

    /** Resolves every key of {@code defaults}; throws {@link IllegalArgumentException} on an unknown key. */
    public static Map<String, String> load(Map<String, String> defaults, String[] args, Function<String, String> env) {
        Map<String, String> values = new TreeMap<>(defaults);
        values.keySet().removeIf(k -> k.endsWith(".*")); // prefixes, not settings
        Map<String, String> flags = new TreeMap<>();
        java.util.List<String> settingsFiles = new java.util.ArrayList<>(); // applied in order, a later file wins
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "': settings are given as --key value");
            }
            String key = arg.substring(2);
            String value;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                value = args[++i];
            } else {
                value = "true"; // a bare flag
            }
            if (key.equals("settings")) {
                settingsFiles.add(value);
            } else {
                flags.put(key, value);
            }
        }
        for (String settingsFile : settingsFiles) {
            Properties file = new Properties();
            try (Reader reader = Files.newBufferedReader(Path.of(settingsFile))) {
                file.load(reader);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("settings file " + settingsFile + " does not exist");
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read settings file " + settingsFile + ": " + e.getMessage());
            }
            for (String key : file.stringPropertyNames()) {
                put(values, defaults, key, file.getProperty(key), "settings file " + settingsFile);
            }
        }
        for (String key : defaults.keySet()) {
            if (key.endsWith(".*")) {
                continue; // pass-through keys come from a settings file or flags
            }
            String fromEnv = env.apply(envName(key));
            if (fromEnv != null && !fromEnv.isEmpty()) {
                values.put(key, fromEnv);
            }
        }
        for (Map.Entry<String, String> flag : flags.entrySet()) {
            put(values, defaults, flag.getKey(), flag.getValue(), "command line");
        }
        return values;
    }

    public static String envName(String key) {
        return "PULSE_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** The settings as lines for a start-up banner, secrets masked. */
    public static String describe(Map<String, String> values) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, String> e : new TreeMap<>(values).entrySet()) {
            String value = isSecret(e.getKey()) && !e.getValue().isEmpty() ? "******" : maskUrlPassword(e.getValue());
            out.append("  ").append(e.getKey()).append(" = ").append(value).append('\n');
        }
        return out.toString();
    }

    /**
     * Whether a setting's value is a secret: its key names a password, secret, token, JAAS line,
     * credential, user info (Kafka's basic.auth.user.info), private key, or ends in ".key" (a PEM key
     * such as ssl.keystore.key).
     */
    public static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password") || k.contains("secret") || k.contains("jaas") || k.contains("token")
                || k.contains("credential") || k.contains("user.info") || k.contains("private") || k.endsWith(".key");
    }

    private static final java.util.regex.Pattern URL_PASSWORD = java.util.regex.Pattern.compile("(://[^:/@\\s]*):[^@/\\s]*@");

    /** {@code text} with the password of any {@code scheme://user:password@host} in it masked. */
    public static String maskUrlPassword(String text) {
        return text == null ? null : URL_PASSWORD.matcher(text).replaceAll("$1:******@");
    }

    /** A default key ending in ".*" accepts every key under that prefix (pass-through settings such as kafka.properties.*). */
    private static boolean known(Map<String, String> defaults, String key) {
        if (defaults.containsKey(key)) {
            return !key.endsWith(".*");
        }
        for (String d : defaults.keySet()) {
            if (d.endsWith(".*") && key.startsWith(d.substring(0, d.length() - 1)) && key.length() > d.length() - 1) {
                return true;
            }
        }
        return false;
    }

    private static void put(Map<String, String> values, Map<String, String> defaults, String key, String value, String where) {
        if (!known(defaults, key)) {
            throw new IllegalArgumentException("unknown setting '" + key + "' in " + where + "; known settings: "
                    + String.join(", ", new TreeMap<>(defaults).keySet()));
        }
        values.put(key, value);
    }
}
