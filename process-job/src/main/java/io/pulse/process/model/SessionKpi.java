package io.pulse.process.model;

/** A row of session_kpis: one 5-minute tumbling window of one (user, device). */
public record SessionKpi(String sessionId, String device, String userId, long sessionStart, long sessionEnd,
                         long firstEventTime, long lastEventTime, long sessionDurationS, boolean didLogin,
                         boolean didPurchase, long totalActions) {}
