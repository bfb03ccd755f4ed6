//! Tests of time-zone resolution, one file per subject; the default zone and resolver they
//! share.

use super::*;
use chrono_tz::Europe;

mod countries;
mod offsets;
mod phones;
mod regions;
mod resolution;

const DEFAULT: Tz = Europe::Berlin;

fn resolve(hints: LocationHints<'_>) -> ResolvedTimezone {
    resolve_timezone(&hints, DEFAULT)
}
