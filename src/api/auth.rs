//! Bearer tokens: `admin.token` may call everything, `invoice.token` only the
//! Invoices service. Written on first start (mode 0600) in the data
//! directory, or read from provisioned files (`[auth]`, shared by the
//! instances of a cluster); compared in constant time; never logged.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tonic::{Code, Request, Status};

use super::status::status;
use crate::error::Reason;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Admin,
    Invoice,
}

/// Digests of the current tokens. Comparing digests keeps the comparison
/// constant-time regardless of the presented token's length.
struct Digests {
    admin: [u8; 32],
    invoice: [u8; 32],
}

pub struct Tokens {
    admin: TokenFile,
    invoice: TokenFile,
    digests: RwLock<Digests>,
}

/// Where a token is read from, and whether lnpayd may create it there.
#[derive(Clone, Debug)]
struct TokenFile {
    path: PathBuf,
    /// True in the data directory; a provisioned file is never created, so
    /// that an instance missing it fails instead of inventing its own token.
    create: bool,
}

impl TokenFile {
    fn new(configured: Option<&Path>, datadir: &Path, name: &str) -> Self {
        match configured {
            Some(p) => Self {
                path: p.to_path_buf(),
                create: false,
            },
            None => Self {
                path: datadir.join(name),
                create: true,
            },
        }
    }

    fn digest(&self) -> std::io::Result<[u8; 32]> {
        let token = if self.create {
            read_or_create(&self.path)?
        } else {
            read_existing(&self.path)?
        };
        Ok(Sha256::digest(token.as_bytes()).into())
    }
}

pub const ADMIN_TOKEN_FILE: &str = "admin.token";
pub const INVOICE_TOKEN_FILE: &str = "invoice.token";

impl Tokens {
    /// Reads both token files in the data directory, creating the missing ones.
    pub fn load_or_create(datadir: &Path) -> std::io::Result<Arc<Self>> {
        Self::load(datadir, &crate::config::AuthConfig::default())
    }

    /// Reads the tokens from the files `[auth]` names, or else from the
    /// data directory (created there when missing).
    pub fn load(datadir: &Path, auth: &crate::config::AuthConfig) -> std::io::Result<Arc<Self>> {
        let admin = TokenFile::new(auth.admin_token_file.as_deref(), datadir, ADMIN_TOKEN_FILE);
        let invoice = TokenFile::new(
            auth.invoice_token_file.as_deref(),
            datadir,
            INVOICE_TOKEN_FILE,
        );
        let digests = read_digests(&admin, &invoice)?;
        Ok(Arc::new(Self {
            admin,
            invoice,
            digests: RwLock::new(digests),
        }))
    }

    /// Re-reads the token files (after an operator rotated one). Both or
    /// neither: a failure keeps the old pair.
    pub fn reload(&self) -> std::io::Result<()> {
        let d = read_digests(&self.admin, &self.invoice)?;
        *self.digests.write().expect("token lock poisoned") = d;
        Ok(())
    }

    fn role_of(&self, token: &str) -> Option<Role> {
        let presented: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let d = self.digests.read().expect("token lock poisoned");
        let is_admin = presented.ct_eq(&d.admin);
        let is_invoice = presented.ct_eq(&d.invoice);
        if bool::from(is_admin) {
            Some(Role::Admin)
        } else if bool::from(is_invoice) {
            Some(Role::Invoice)
        } else {
            None
        }
    }

    /// Checks a request's `authorization: Bearer <token>` against the role a service needs.
    pub fn check<T>(&self, req: &Request<T>, need: Role) -> Result<Role, Status> {
        let unauth = |reason: Reason, msg: &str| {
            Err(status(
                Code::Unauthenticated,
                reason,
                msg,
                Default::default(),
            ))
        };
        let Some(value) = req.metadata().get("authorization") else {
            return unauth(Reason::TokenMissing, "send authorization: Bearer <token>");
        };
        let Some(token) = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")) else {
            return unauth(
                Reason::TokenMalformed,
                "the authorization header must be 'Bearer <token>'",
            );
        };
        match self.role_of(token.trim()) {
            None => unauth(Reason::TokenUnknown, "the token is not valid"),
            Some(Role::Invoice) if need == Role::Admin => Err(status(
                Code::PermissionDenied,
                Reason::RoleNotAllowed,
                "the invoice token cannot call the Admin service",
                Default::default(),
            )),
            Some(role) => Ok(role),
        }
    }
}

fn read_digests(admin: &TokenFile, invoice: &TokenFile) -> std::io::Result<Digests> {
    Ok(Digests {
        admin: admin.digest()?,
        invoice: invoice.digest()?,
    })
}

fn read_existing(path: &Path) -> std::io::Result<String> {
    let named =
        |e: std::io::Error| std::io::Error::new(e.kind(), format!("{}: {e}", path.display()));
    match std::fs::read_to_string(path).map_err(named)? {
        t if !t.trim().is_empty() => Ok(t.trim().to_string()),
        _ => Err(std::io::Error::other(format!(
            "{} is empty",
            path.display()
        ))),
    }
}

fn read_or_create(path: &Path) -> std::io::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(t) if !t.trim().is_empty() => Ok(t.trim().to_string()),
        Ok(_) => Err(std::io::Error::other(format!(
            "{} is empty",
            path.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut bytes);
            let token = hex::encode(bytes);
            crate::daemon::write_secret_file(path, &token)?;
            Ok(token)
        }
        Err(e) => Err(e),
    }
}

/// A tonic interceptor requiring `need` (written once, applied per service).
pub fn require(tokens: Arc<Tokens>, need: Role) -> impl tonic::service::Interceptor + Clone {
    move |mut req: Request<()>| {
        let role = tokens.check(&req, need)?;
        // For the handlers: what an error may show depends on who asked.
        req.extensions_mut().insert(role);
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AuthConfig;

    fn req(token: &str) -> Request<()> {
        let mut r = Request::new(());
        r.metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        r
    }

    #[test]
    fn provisioned_files_are_read_never_created_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        let auth = AuthConfig {
            admin_token_file: Some(shared.join("admin")),
            invoice_token_file: Some(shared.join("invoice")),
        };
        let missing = Tokens::load(dir.path(), &auth).err().expect("missing file");
        assert!(missing.to_string().contains("shared/admin"), "{missing}");
        assert!(
            !shared.join("admin").exists(),
            "a provisioned file is not created"
        );

        std::fs::write(shared.join("admin"), "admin-one\n").unwrap();
        std::fs::write(shared.join("invoice"), "invoice-one").unwrap();
        let tokens = Tokens::load(dir.path(), &auth).unwrap();
        assert_eq!(
            tokens.check(&req("admin-one"), Role::Admin).ok(),
            Some(Role::Admin)
        );
        assert!(!dir.path().join(ADMIN_TOKEN_FILE).exists());

        std::fs::write(shared.join("admin"), "admin-two").unwrap();
        tokens.reload().unwrap();
        assert_eq!(
            tokens.check(&req("admin-two"), Role::Admin).ok(),
            Some(Role::Admin)
        );
        assert!(tokens.check(&req("admin-one"), Role::Admin).is_err());
        assert_eq!(
            tokens.check(&req("invoice-one"), Role::Invoice).ok(),
            Some(Role::Invoice)
        );

        // A rotation half done (an empty file) keeps the old pair.
        std::fs::write(shared.join("invoice"), "").unwrap();
        assert!(tokens.reload().is_err());
        assert_eq!(
            tokens.check(&req("admin-two"), Role::Admin).ok(),
            Some(Role::Admin)
        );
    }
}
