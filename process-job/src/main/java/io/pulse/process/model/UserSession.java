package io.pulse.process.model;

/** A row of user_sessions. endReason is ended, timeout or superseded. */
public record UserSession(String userId, long sessionStart, long sessionEnd, long durationS, long eventCount,
                          String endReason) {}
