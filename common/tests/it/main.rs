//! Integration tests of zr-common: go-zenon golden vectors, rollup golden encodings, codec properties.

mod codec_props;
mod golden;
mod nom_vectors;
