package io.pulse.process.model;

/** A row of page_view_counts: page views of one page in one 1-minute window. */
public record PageViewCount(long windowStart, String page, long windowEnd, long views) {}
