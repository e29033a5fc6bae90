//! The newest registry of each partner team this device has seen. A letter carries its
//! author's team registry as that device last knew it; a device its team has since
//! revoked still carries one naming it active. Letters come through the relay (which
//! refuses a revoked device) or by hand from the device itself (which nothing stops), so
//! every letter is checked against the newest registry of its team seen here, not only
//! the one it carries.

use crate::error::{Error, Result};
use crate::store::WriteTx;
use crate::sync::registry::{PositionedStatement, Registry};

const PARTNER_REGISTRY: &str = "partner-registry:";

/// The newer of the registry a letter from `from` by `author` carried and the newest
/// seen here, kept if it is the carried one; `Err` with why the letter is left out if
/// the two disagree or the newest does not name the author active.
pub(super) async fn newest_partner_registry(
    tx: &mut WriteTx<'_>,
    from: [u8; 16],
    partner: &str,
    author: &[u8; 32],
    carried: Vec<PositionedStatement>,
) -> Result<std::result::Result<Vec<PositionedStatement>, String>> {
    let name = format!("{PARTNER_REGISTRY}{}", hex::encode(from));
    let kept: Vec<PositionedStatement> = match tx.setting(&name).await? {
        Some(b) => postcard::from_bytes(&b)
            .map_err(|e| Error::Corrupt(format!("{partner}'s registry as kept: {e}")))?,
        None => Vec::new(),
    };
    let (older, newer) = if carried.len() >= kept.len() { (&kept, &carried) } else { (&carried, &kept) };
    if older.iter().zip(newer).any(|(a, b)| a.statement.digest() != b.statement.digest()) {
        return Ok(Err(format!("a registry of {partner} that disagrees with the one this device has seen")));
    }
    let Ok(registry) = Registry::replay(from, newer) else {
        return Ok(Err(format!("a registry of {partner} that does not check")));
    };
    let device = hex::encode(&author[..8]);
    match registry.device(author) {
        Some(d) if d.active() => {}
        Some(_) => return Ok(Err(format!("device {device} is one {partner} has since revoked"))),
        None => return Ok(Err(format!("device {device} is not a device of {partner}"))),
    }
    if carried.len() > kept.len() {
        tx.put_setting(&name, &postcard::to_stdvec(&carried).expect("encodes")).await?;
    }
    Ok(Ok(newer.clone()))
}
