//! Sealed named values: this device's identity, private key, team keys and sync state.
//! Read back in buffers wiped when dropped, as they hold keys.
//!
//! Each value carries a version, bound into its seal and recorded in one sealed store
//! manifest, so that an older sealed value put back in place of the current one (or a value
//! deleted) is refused as damage rather than silently used.

use super::{ReadTx, Store, WriteTx};
use crate::error::{Error, Result};
use sqlx::{Row, SqliteConnection};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

fn aad(name: &str, version: i64) -> Vec<u8> {
    format!("hedgerow/setting/v2/{name}/{version}").into_bytes()
}

/// How settings were sealed before they had versions.
fn legacy_aad(name: &str) -> Vec<u8> {
    [b"hedgerow/setting/".as_slice(), name.as_bytes()].concat()
}

const MANIFEST_AAD: &[u8] = b"hedgerow/store-manifest/v1";

/// Every setting's current version.
type Versions = BTreeMap<String, i64>;

pub(super) async fn versions(conn: &mut SqliteConnection, store: &Store) -> Result<Option<Versions>> {
    let Some(row) =
        sqlx::query("SELECT value FROM store_manifest WHERE id = 1").fetch_optional(&mut *conn).await?
    else {
        return Ok(None);
    };
    let sealed: Vec<u8> = row.try_get("value")?;
    let plain = store.sealer().open(MANIFEST_AAD, &sealed)?;
    postcard::from_bytes(&plain).map(Some).map_err(|e| Error::Corrupt(format!("the store manifest: {e}")))
}

async fn put_versions(conn: &mut SqliteConnection, store: &Store, v: &Versions) -> Result<()> {
    let plain = Zeroizing::new(postcard::to_stdvec(v).expect("encoding to a Vec cannot fail"));
    let sealed = store.sealer().seal(MANIFEST_AAD, &plain)?;
    sqlx::query("INSERT OR REPLACE INTO store_manifest (id, value) VALUES (1, ?)")
        .bind(&sealed)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl WriteTx<'_> {
    pub async fn put_setting(&mut self, name: &str, value: &[u8]) -> Result<()> {
        let mut v = versions(&mut self.tx, self.store).await?.unwrap_or_default();
        let version = v.get(name).copied().unwrap_or(0) + 1;
        let sealed = self.store.sealer().seal(&aad(name, version), value)?;
        sqlx::query("INSERT OR REPLACE INTO settings (name, value, version) VALUES (?, ?, ?)")
            .bind(name)
            .bind(&sealed)
            .bind(version)
            .execute(&mut *self.tx)
            .await?;
        v.insert(name.to_owned(), version);
        put_versions(&mut self.tx, self.store, &v).await
    }

    pub async fn delete_setting(&mut self, name: &str) -> Result<()> {
        sqlx::query("DELETE FROM settings WHERE name = ?").bind(name).execute(&mut *self.tx).await?;
        let mut v = versions(&mut self.tx, self.store).await?.unwrap_or_default();
        if v.remove(name).is_some() {
            put_versions(&mut self.tx, self.store, &v).await?;
        }
        Ok(())
    }

    pub async fn setting(&mut self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        read(&mut self.tx, self.store, name).await
    }

    /// Seals settings written before they had versions under their first version, once.
    pub(super) async fn version_legacy_settings(&mut self) -> Result<()> {
        if versions(&mut self.tx, self.store).await?.is_some() {
            return Ok(());
        }
        let rows = sqlx::query("SELECT name, value, version FROM settings").fetch_all(&mut *self.tx).await?;
        let mut v = Versions::new();
        for row in rows {
            let name: String = row.try_get("name")?;
            let version: i64 = row.try_get("version")?;
            if version != 0 {
                return Err(Error::Corrupt(format!(
                    "the setting '{name}' has a version but the store has no manifest"
                )));
            }
            let sealed: Vec<u8> = row.try_get("value")?;
            let value = self.store.sealer().open(&legacy_aad(&name), &sealed)?;
            let resealed = self.store.sealer().seal(&aad(&name, 1), &value)?;
            sqlx::query("UPDATE settings SET value = ?, version = 1 WHERE name = ?")
                .bind(&resealed)
                .bind(&name)
                .execute(&mut *self.tx)
                .await?;
            v.insert(name, 1);
        }
        put_versions(&mut self.tx, self.store, &v).await
    }
}

/// The names of the settings that start with `prefix` (names are not secret).
async fn names(conn: &mut SqliteConnection, prefix: &str) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT name FROM settings WHERE substr(name, 1, length(?1)) = ?1 ORDER BY name")
        .bind(prefix)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| r.try_get("name").map_err(Error::from)).collect()
}

impl ReadTx<'_> {
    pub async fn setting_names(&mut self, prefix: &str) -> Result<Vec<String>> {
        names(&mut self.tx, prefix).await
    }

    pub async fn setting(&mut self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        read(&mut self.tx, self.store, name).await
    }
}

pub(super) async fn read(
    conn: &mut SqliteConnection,
    store: &Store,
    name: &str,
) -> Result<Option<Zeroizing<Vec<u8>>>> {
    let expected = versions(conn, store).await?.and_then(|v| v.get(name).copied());
    let row = sqlx::query("SELECT value, version FROM settings WHERE name = ?")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
    match (row, expected) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(Error::Corrupt(format!("the setting '{name}' was deleted from the store"))),
        (Some(r), expected) => {
            let version: i64 = r.try_get("version")?;
            if Some(version) != expected {
                return Err(Error::Corrupt(format!(
                    "the setting '{name}' is not the one last written here (an older copy was put back)"
                )));
            }
            let sealed: Vec<u8> = r.try_get("value")?;
            Ok(Some(store.sealer().open(&aad(name, version), &sealed)?))
        }
    }
}
