package dev.vecmlp.spark;

import java.util.List;

import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A features column of one of the three types Spark users keep features in: {@code array<float>},
 * {@code array<double>} (doubles rounded to the nearest float, as a cast does) or an ML
 * {@link Vector} (dense or sparse). Copies one row's features into a float buffer, refusing a
 * null and a wrong width with the column, the row and what was expected.
 */
enum FeatureColumn {
    FLOATS("array<float>"),
    DOUBLES("array<double>"),
    VECTOR("vector");

    private final String typeName;

    FeatureColumn(String typeName) {
        this.typeName = typeName;
    }

    /** The kind of column {@code name} in {@code schema}, or an error naming the types it may have. */
    static FeatureColumn of(StructType schema, String name) {
        int i = fieldIndex(schema, name, "featuresCol");
        DataType type = schema.fields()[i].dataType();
        if (type instanceof ArrayType a && a.elementType().equals(DataTypes.FloatType)) {
            return FLOATS;
        }
        if (type instanceof ArrayType a && a.elementType().equals(DataTypes.DoubleType)) {
            return DOUBLES;
        }
        if (type.equals(SQLDataTypes.VectorType())) {
            return VECTOR;
        }
        throw new IllegalArgumentException("featuresCol '" + name + "': expected array<float>, array<double> or an ML vector, found "
                + type.simpleString());
    }

    /** The index of column {@code name}, or an error naming the parameter and the columns there are. */
    static int fieldIndex(StructType schema, String name, String param) {
        for (int i = 0; i < schema.fields().length; i++) {
            if (schema.fields()[i].name().equals(name)) {
                return i;
            }
        }
        StringBuilder names = new StringBuilder();
        for (StructField f : schema.fields()) {
            names.append(names.isEmpty() ? "" : ", ").append(f.name());
        }
        throw new IllegalArgumentException(param + " '" + name + "': expected a column of that name, found the columns ["
                + names + "]");
    }

    String typeName() {
        return typeName;
    }

    /**
     * Copies the features of {@code row}'s column {@code column} into {@code out[at..at+width)}.
     *
     * @param where the column and the row, for messages: "featuresCol 'pixels', row 17 of partition 3"
     */
    void copy(Row row, int column, float[] out, int at, int width, Where where) {
        if (row.isNullAt(column)) {
            throw where.error("expected " + width + " features (the model's inputs), found null");
        }
        switch (this) {
            case FLOATS, DOUBLES -> {
                List<Object> values = row.getList(column);
                if (values.size() != width) {
                    throw where.error("expected " + width + " features (the model's inputs), found " + values.size());
                }
                for (int j = 0; j < width; j++) {
                    Object v = values.get(j);
                    if (v == null) {
                        throw where.error("feature " + j + ": expected a number, found null");
                    }
                    out[at + j] = this == FLOATS ? (Float) v : (float) (double) (Double) v;
                }
            }
            case VECTOR -> {
                Vector v = (Vector) row.get(column);
                if (v.size() != width) {
                    throw where.error("expected " + width + " features (the model's inputs), found a vector of " + v.size());
                }
                if (v instanceof DenseVector d) {
                    double[] values = d.values();
                    for (int j = 0; j < width; j++) {
                        out[at + j] = (float) values[j];
                    }
                } else {
                    SparseVector s = (SparseVector) v;
                    java.util.Arrays.fill(out, at, at + width, 0f);
                    int[] indices = s.indices();
                    double[] values = s.values();
                    for (int k = 0; k < indices.length; k++) {
                        out[at + indices[k]] = (float) values[k];
                    }
                }
            }
        }
    }

    /** The number of features in {@code row}'s column {@code column}: the width the first row of a data set sets. */
    int width(Row row, int column, Where where) {
        if (row.isNullAt(column)) {
            throw where.error("expected the features, found null");
        }
        return this == VECTOR ? ((Vector) row.get(column)).size() : row.getList(column).size();
    }

    /** The place of one row, for the messages of {@link #copy}. */
    interface Where {
        IllegalArgumentException error(String what);
    }
}
