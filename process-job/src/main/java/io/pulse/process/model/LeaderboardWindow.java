package io.pulse.process.model;

import java.util.Map;

/** The scores of one closed HOP window: content_id -> summed score. */
public record LeaderboardWindow(long windowStart, long windowEnd, Map<String, Double> scores) {}
