package io.pulse.process.model;

/** A row of aggregated_counts: events of one session window (gap-based) of one user. */
public record SessionCount(String groupKey, long countValue, long windowEndTime) {}
