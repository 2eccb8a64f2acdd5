//! The paper's measurements (filled below).
