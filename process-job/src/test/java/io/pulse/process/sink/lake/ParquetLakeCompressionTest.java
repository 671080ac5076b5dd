package io.pulse.process.sink.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pulse.process.model.Activity;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.api.common.serialization.BulkWriter;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.local.LocalFileSystem;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.io.LocalInputFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each lake.compression value writes files Parquet readers read back, compressed with that codec, without Hadoop. */
class ParquetLakeCompressionTest {

    @ParameterizedTest
    @ValueSource(strings = {"uncompressed", "snappy", "zstd", "gzip"})
    void everyCodecWritesAFileThatReadsBack(String compression, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("part.parquet");
        List<String> written = new ArrayList<>();
        try (FSDataOutputStream out = LocalFileSystem.getSharedInstance().create(new org.apache.flink.core.fs.Path(file.toUri()),
                FileSystem.WriteMode.OVERWRITE)) {
            BulkWriter<Activity> writer = new ParquetLakeSink.WriterFactory(ParquetLakeSink.codec(compression)).create(out);
            for (int i = 0; i < 5000; i++) {
                Activity a = Activity.of("e-" + i, "u-" + (i % 50), i % 3 == 0 ? "click" : "page_view", 1_753_358_400_000L + i * 1000L);
                a.device = "Web";
                a.page = "/p/" + (i % 20);
                a.metadata = Map.of("k", "v" + (i % 4));
                writer.addElement(a);
                written.add(a.eventId);
            }
            writer.finish();
        }
        List<String> read = new ArrayList<>();
        try (ParquetReader<GenericRecord> reader = AvroParquetReader.<GenericRecord>builder(new LocalInputFile(file))
                .withDataModel(GenericData.get()).build()) {
            for (GenericRecord r = reader.read(); r != null; r = reader.read()) {
                read.add(r.get("event_id").toString());
            }
        }
        assertThat(read).isEqualTo(written);
        try (ParquetFileReader footer = ParquetFileReader.open(new LocalInputFile(file))) {
            for (ColumnChunkMetaData column : footer.getFooter().getBlocks().get(0).getColumns()) {
                assertThat(column.getCodec().name()).isEqualToIgnoringCase(compression);
            }
        }
    }

    @Test
    void anUnknownCodecNamesTheSettingAndTheChoices() {
        assertThatThrownBy(() -> ParquetLakeSink.codec("lzo")).hasMessageContaining("lake.compression").hasMessageContaining("snappy, zstd");
    }
}
