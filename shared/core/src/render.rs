//! Renderings of reports.
