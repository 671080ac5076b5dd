package io.pulse.model.settings;

import java.io.Serializable;

/** A user name and password for a store, from {@code <store>.<userKey>} and {@code <store>.password}; empty user: no login. */
public record Login(String user, String password) implements Serializable {
    public static final Login NONE = new Login("", "");

    public static Login from(Settings s, String store, String userKey) {
        return new Login(s.string(store + "." + userKey), s.string(store + ".password"));
    }

    public boolean present() {
        return !user.isEmpty();
    }

    @Override
    public String toString() {
        return present() ? user + (password.isEmpty() ? "" : " (password set)") : "no login";
    }
}
