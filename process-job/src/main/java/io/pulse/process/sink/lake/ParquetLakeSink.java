package io.pulse.process.sink.lake;

import io.pulse.process.sink.cassandra.CassandraUserEventsSink;
import io.pulse.model.avro.UserEvent;
import io.pulse.process.model.Activity;
import java.io.IOException;
import org.apache.avro.specific.SpecificData;
import org.apache.flink.api.common.serialization.BulkWriter;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.functions.sink.filesystem.BucketAssigner;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.SimpleVersionedStringSerializer;
import org.apache.flink.streaming.api.functions.sink.filesystem.PartFileInfo;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.CheckpointRollingPolicy;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

/**
 * The Parquet lake (DESIGN.md "Parquet lake"): every valid activity event, as the Avro
 * {@code UserEvent} record, under {@code <lake>/event_date=YYYY-MM-DD/} (UTC date of its event time),
 * through Flink's FileSink: a file is in progress (hidden, {@code .part-...inprogress}) until the
 * checkpoint that contains its last record completes, then it is committed as
 * {@code part-<uuid>-<n>.parquet}; a restart discards or resumes in-progress files, so no row is
 * lost or written twice.
 *
 * <p>Parquet is written without Hadoop (none on the cluster), compressed with the codec of the
 * setting {@code lake.compression} ({@link #CODECS}; snappy by default) through {@link LakeCodecs}, dictionary and RLE encoded
 * except {@code event_id}, which is unique per row (a dictionary of it is built and then thrown away).
 */
public final class ParquetLakeSink {
    public static final String FILE_PREFIX = "part";
    public static final String FILE_SUFFIX = ".parquet";

    private ParquetLakeSink() {}

    /** The values of {@code lake.compression}. */
    public static final java.util.List<String> CODECS = java.util.List.of("uncompressed", "snappy", "zstd", "gzip");

    public static FileSink<Activity> create(String lakeDir) {
        return create(lakeDir, "snappy");
    }

    public static FileSink<Activity> create(String lakeDir, String compression) {
        return FileSink.forBulkFormat(new Path(lakeDir), new WriterFactory(codec(compression)))
                .withBucketAssigner(new EventDateBuckets())
                .withRollingPolicy(new ColdDatesRoll())
                .withBucketCheckInterval(COLD_AFTER_MILLIS / 2)
                .withOutputFileConfig(OutputFileConfig.builder().withPartPrefix(FILE_PREFIX).withPartSuffix(FILE_SUFFIX).build())
                .build();
    }

    /** A part file not written to for this long is finished before the checkpoint: its writer's memory is freed. */
    static final long COLD_AFTER_MILLIS = 10_000;
    /** A part file this large is finished and a new one started (sane file sizes). */
    static final long MAX_PART_BYTES = 128L * 1024 * 1024;

    /**
     * Rolls on every checkpoint (files are committed there), and also a part file that grew past
     * {@link #MAX_PART_BYTES} or got no event for {@link #COLD_AFTER_MILLIS}: each open part file holds a
     * Parquet writer's buffers, and events spread over many dates (old or replayed data, hostile input)
     * would otherwise keep one open per date until the checkpoint.
     */
    static final class ColdDatesRoll extends CheckpointRollingPolicy<Activity, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public boolean shouldRollOnEvent(PartFileInfo<String> partFile, Activity element) throws IOException {
            return partFile.getSize() >= MAX_PART_BYTES;
        }

        @Override
        public boolean shouldRollOnProcessingTime(PartFileInfo<String> partFile, long currentTime) {
            return currentTime - partFile.getLastUpdateTime() >= COLD_AFTER_MILLIS;
        }
    }

    /** The directory of an event: {@code event_date=YYYY-MM-DD}. */
    public static String bucket(long eventTimeMillis) {
        return "event_date=" + CassandraUserEventsSink.bucketDate(eventTimeMillis);
    }

    static final class EventDateBuckets implements BucketAssigner<Activity, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String getBucketId(Activity a, Context context) {
            return bucket(a.eventTime);
        }

        @Override
        public SimpleVersionedSerializer<String> getSerializer() {
            return SimpleVersionedStringSerializer.INSTANCE;
        }
    }

    /** The lake's Hadoop-free Parquet codecs, for any Parquet writer (the benchmark's baseline writes with them too). */
    public static org.apache.parquet.compression.CompressionCodecFactory codecs() {
        return new LakeCodecs();
    }

    /** The codec of a {@code lake.compression} value, or an error that lists them. */
    public static CompressionCodecName codec(String compression) {
        if (!CODECS.contains(compression)) {
            throw new IllegalArgumentException("setting 'lake.compression' must be one of " + String.join(", ", CODECS) + ", got '"
                    + compression + "'");
        }
        return CompressionCodecName.valueOf(compression.toUpperCase(java.util.Locale.ROOT));
    }

    static final class WriterFactory implements BulkWriter.Factory<Activity> {
        private static final long serialVersionUID = 1L;
        private final CompressionCodecName codec;

        WriterFactory(CompressionCodecName codec) {
            this.codec = codec;
        }

        @Override
        public BulkWriter<Activity> create(FSDataOutputStream out) throws IOException {
            ParquetWriter<UserEvent> parquet = AvroParquetWriter.<UserEvent>builder(new StreamOutputFile(out))
                    .withSchema(UserEvent.getClassSchema())
                    .withDataModel(SpecificData.getForClass(UserEvent.class))
                    .withConf(new PlainParquetConfiguration())
                    .withCodecFactory(new LakeCodecs())
                    .withCompressionCodec(codec)
                    .withDictionaryEncoding("event_id", false)
                    .build();
            return new BulkWriter<>() {
                @Override
                public void addElement(Activity a) throws IOException {
                    parquet.write(a.toUserEvent());
                }

                @Override
                public void flush() {
                    // Parquet writes whole row groups; a part file is only ever read after finish().
                }

                @Override
                public void finish() throws IOException {
                    parquet.close(); // writes the footer; the stream stays open for Flink to commit
                }
            };
        }
    }

    /** Flink's part-file stream as a Parquet output file; Parquet must not close it. */
    static final class StreamOutputFile implements OutputFile {
        private final FSDataOutputStream out;

        StreamOutputFile(FSDataOutputStream out) {
            this.out = out;
        }

        @Override
        public PositionOutputStream create(long blockSizeHint) {
            return new PositionOutputStream() {
                @Override
                public long getPos() throws IOException {
                    return out.getPos();
                }

                @Override
                public void write(int b) throws IOException {
                    out.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void flush() throws IOException {
                    out.flush();
                }

                @Override
                public void close() throws IOException {
                    out.flush();
                }
            };
        }

        @Override
        public PositionOutputStream createOrOverwrite(long blockSizeHint) {
            return create(blockSizeHint);
        }

        @Override
        public boolean supportsBlockSize() {
            return false;
        }

        @Override
        public long defaultBlockSize() {
            return 0;
        }
    }
}
