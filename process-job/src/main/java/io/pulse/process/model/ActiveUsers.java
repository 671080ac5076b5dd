package io.pulse.process.model;

/** A row of active_users: distinct users in one 5-minute window (sliding by 1 minute). */
public record ActiveUsers(long windowStart, long windowEnd, long activeUsers) {}
