//! `AwsContext`: the clients plus the caches that every collection shares
//! (account id, bucket regions, account facts).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use aws_types::SdkConfig;
use bucketwarden_core::snapshot::AccountSnapshot;
use tokio::sync::OnceCell;

use crate::account::AccountWide;
use crate::clients::{ClientOptions, Clients};
use crate::err::{Error, call_error};

/// Entry point of the crate: clients and caches for one account. Cloning is
/// cheap and clones share the caches.
#[derive(Clone, Debug)]
pub struct AwsContext {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    clients: Clients,
    missing_bucket_retry_delay: Duration,
    account_id: OnceCell<String>,
    bucket_regions: Mutex<HashMap<String, String>>,
    account_wide: OnceCell<Arc<AccountWide>>,
    regional_accounts: Mutex<HashMap<String, Arc<OnceCell<Arc<AccountSnapshot>>>>>,
}

impl AwsContext {
    /// Builds the clients from a loaded config. Makes no AWS call.
    pub fn new(config: &SdkConfig, options: ClientOptions) -> Result<Self, Error> {
        let clients = Clients::new(config, &options)?;
        let account_id = match options.fixed_account_id() {
            Some(id) => OnceCell::new_with(Some(id.to_owned())),
            None => OnceCell::new(),
        };
        Ok(Self {
            inner: Arc::new(Inner {
                clients,
                missing_bucket_retry_delay: options.missing_bucket_delay(),
                account_id,
                bucket_regions: Mutex::new(HashMap::new()),
                account_wide: OnceCell::new(),
                regional_accounts: Mutex::new(HashMap::new()),
            }),
        })
    }

    pub fn clients(&self) -> &Clients {
        &self.inner.clients
    }

    /// Returns the caller's account id, from STS GetCallerIdentity on first use
    /// (or from the options). A failed call is not cached.
    pub async fn account_id(&self) -> Result<String, Error> {
        let id = self
            .inner
            .account_id
            .get_or_try_init(|| async {
                let output = self
                    .clients()
                    .sts()
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|e| Error::Call {
                        call: "GetCallerIdentity",
                        error: call_error(&e),
                    })?;
                output
                    .account
                    .filter(|id| !id.is_empty())
                    .ok_or_else(|| Error::Call {
                        call: "GetCallerIdentity",
                        error: bucketwarden_core::snapshot::CallError::new(
                            "MissingAccount",
                            "the response has no Account field",
                        ),
                    })
            })
            .await?;
        Ok(id.clone())
    }

    pub(crate) fn missing_bucket_retry_delay(&self) -> Duration {
        self.inner.missing_bucket_retry_delay
    }

    pub(crate) fn cached_region(&self, bucket: &str) -> Option<String> {
        let regions = self
            .inner
            .bucket_regions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        regions.get(bucket).cloned()
    }

    pub(crate) fn remember_region(&self, bucket: &str, region: &str) {
        let mut regions = self
            .inner
            .bucket_regions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        regions.insert(bucket.to_owned(), region.to_owned());
    }

    pub(crate) fn forget_region(&self, bucket: &str) {
        let mut regions = self
            .inner
            .bucket_regions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        regions.remove(bucket);
    }

    pub(crate) fn account_wide_cell(&self) -> &OnceCell<Arc<AccountWide>> {
        &self.inner.account_wide
    }

    /// Returns the cell of `region`'s account facts, created empty on first use.
    pub(crate) fn regional_account_cell(
        &self,
        region: &str,
    ) -> Arc<OnceCell<Arc<AccountSnapshot>>> {
        let mut cells = self
            .inner
            .regional_accounts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        cells.entry(region.to_owned()).or_default().clone()
    }
}
