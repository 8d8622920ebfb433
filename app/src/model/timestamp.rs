//! Timestamps on the wire: RFC 3339 with microseconds and an explicit `+00:00` offset, the shape
//! the original FastAPI app produces (chrono's default would end in `Z`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// `#[serde(with = "timestamp")]` for a `DateTime<Utc>` field.
pub fn serialize<S: Serializer>(value: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&value.to_rfc3339_opts(SecondsFormat::Micros, false))
}

/// Accepts any RFC 3339 timestamp (with `Z` or an offset) and normalises it to UTC.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    let raw = String::deserialize(deserializer)?;
    DateTime::parse_from_rfc3339(&raw)
        .map(|parsed| parsed.with_timezone(&Utc))
        .map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Stamped {
        #[serde(with = "super")]
        at: chrono::DateTime<chrono::Utc>,
    }

    #[test]
    fn timestamps_are_written_with_micros_and_an_explicit_utc_offset() {
        let at = chrono::Utc
            .with_ymd_and_hms(2026, 11, 25, 11, 27, 14)
            .unwrap()
            + chrono::Duration::microseconds(645_904);
        let json = serde_json::to_string(&Stamped { at }).unwrap();
        assert_eq!(json, r#"{"at":"2026-11-25T11:27:14.645904+00:00"}"#);
        let back: Stamped = serde_json::from_str(&json).unwrap();
        assert_eq!(back.at, at);
    }
}
