//! Applying a plan: for each step, re-read the setting, compute the new value again
//! if it changed since planning, back up the current value, write, and read back.
//! Then the step's controls are evaluated on a fresh snapshot.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use bucketwarden_core::snapshot::CallError;
use bucketwarden_core::{
    AppliedStep, Backup, Config, Outcome, Plan, Setting, Step, evaluate_controls,
};
use serde_json::Value;
use tracing::{info, warn};

use crate::collect::AccountFacts;
use crate::context::AwsContext;
use crate::err::{Error, call_error};

/// The destinations of backups. The functions write to an S3 bucket, and the CLI to a
/// local folder as well.
#[derive(Clone, Debug, Default)]
pub struct BackupTarget {
    /// An S3 bucket for `backups/BUCKET/SETTING/STAMP.json` objects.
    pub bucket: Option<String>,
    /// A local folder that receives the same relative paths.
    pub directory: Option<PathBuf>,
}

impl BackupTarget {
    pub fn is_empty(&self) -> bool {
        self.bucket.is_none() && self.directory.is_none()
    }
}

#[derive(Clone, Debug)]
pub struct ApplyOptions {
    pub backup: BackupTarget,
    /// Settings for re-evaluating the affected controls.
    pub config: Config,
    /// Plan and re-read, but write nothing.
    pub dry_run: bool,
    /// When a setting changed since the plan was shown, leave the step unwritten
    /// instead of computing it again, so a person can review the new plan.
    pub stop_when_changed: bool,
    /// A bucket for leases (see [`crate::lease`]): each write first takes the lease on
    /// its setting, and a step whose lease another writer holds is not written. The
    /// functions set it, because several execution environments may handle events for
    /// one bucket at once.
    pub lease_bucket: Option<String>,
}

/// Returns the current time in ISO 8601 (UTC, with milliseconds when not zero).
pub fn now_iso() -> String {
    DateTime::from(SystemTime::now())
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

impl AwsContext {
    /// Applies the steps in order and returns what happened to each. A step whose
    /// re-read, backup or write fails stops the plan: the steps after it are reported
    /// as not attempted, because later steps may rely on earlier ones.
    pub async fn apply_plan(
        &self,
        plan: &Plan,
        options: &ApplyOptions,
    ) -> Result<Vec<AppliedStep>, Error> {
        let owner = self.account_id().await?;
        let mut applied = Vec::with_capacity(plan.steps.len());
        let mut stopped: Option<String> = None;

        for step in &plan.steps {
            if let Some(reason) = &stopped {
                applied.push(not_attempted(step, reason));
                continue;
            }
            match Box::pin(self.apply_step(step, &owner, options)).await {
                Ok(result) => applied.push(result),
                Err(failure) => {
                    warn!(bucket = %step.bucket, call = step.call(), error = %failure, "step failed; stopping the plan");
                    stopped = Some(format!(
                        "an earlier step failed: {}: {failure}",
                        step.call()
                    ));
                    applied.push(AppliedStep {
                        step: step.clone(),
                        backups: Vec::new(),
                        written: false,
                        verified: false,
                        note: Some(failure.to_string()),
                    });
                }
            }
        }

        if !options.dry_run {
            self.verify(&plan.bucket, &mut applied, &options.config)
                .await;
        }
        Ok(applied)
    }

    /// Applies one step, under the lease on its setting when the options name a
    /// lease bucket.
    async fn apply_step(
        &self,
        step: &Step,
        owner: &str,
        options: &ApplyOptions,
    ) -> Result<AppliedStep, CallError> {
        let Some(lease_bucket) = options.lease_bucket.as_deref().filter(|_| !options.dry_run)
        else {
            return Box::pin(self.write_step(step, owner, options)).await;
        };
        let setting = step.setting.backup_name();
        let Some(lease) = self
            .acquire_lease(lease_bucket, &step.bucket, setting)
            .await?
        else {
            return Ok(AppliedStep {
                step: step.clone(),
                backups: Vec::new(),
                written: false,
                verified: false,
                note: Some(format!(
                    "not written: another execution environment is writing {setting} of this bucket now, and its report shows the result"
                )),
            });
        };
        let result = Box::pin(self.write_step(step, owner, options)).await;
        self.release_lease(lease).await;
        result
    }

    /// Re-reads the setting, backs it up, writes it and reads it back.
    async fn write_step(
        &self,
        step: &Step,
        owner: &str,
        options: &ApplyOptions,
    ) -> Result<AppliedStep, CallError> {
        // Re-read right before the write, so a concurrent edit is kept.
        let current = self.read_setting(&step.bucket, &step.setting).await?;
        let mut step = step.clone();
        if !step
            .setting
            .same_value(current.as_ref(), step.before.as_ref())
        {
            info!(bucket = %step.bucket, call = step.call(), "setting changed since planning; planning the step again");
            let recomputed = step
                .change
                .apply(current.as_ref(), &step.after, &step.bucket, owner)
                .map_err(|error| CallError::new("PlanInvalid", error.to_string()))?;
            let Some(after) = recomputed else {
                step.before = current;
                return Ok(AppliedStep {
                    step,
                    backups: Vec::new(),
                    written: false,
                    verified: false,
                    note: Some("already as required".to_string()),
                });
            };
            // A person who approved the plan approved `after`; a different value needs
            // their review again.
            if options.stop_when_changed
                && !step.setting.same_value(Some(&after), Some(&step.after))
            {
                return Ok(AppliedStep {
                    step,
                    backups: Vec::new(),
                    written: false,
                    verified: false,
                    note: Some(
                        "not written: the setting changed since the plan was shown; run the command again to review the new plan"
                            .to_string(),
                    ),
                });
            }
            step.before = current.clone();
            step.after = after;
        }
        if options.dry_run {
            return Ok(AppliedStep {
                step,
                backups: Vec::new(),
                written: false,
                verified: false,
                note: Some("dry run: not written".to_string()),
            });
        }

        let backup = Backup {
            bucket: step.bucket.clone(),
            setting: step.setting.clone(),
            value: current,
            taken_at: now_iso(),
        };
        let backups = self.store_backup(&backup, &options.backup).await?;

        if let Err(error) = self
            .write_setting(&step.bucket, &step.setting, Some(&step.after))
            .await
        {
            return Ok(AppliedStep {
                step,
                backups,
                written: false,
                verified: false,
                note: Some(format!("the write failed: {error}")),
            });
        }
        // `Value::Null` stands for a removed setting, which reads back as absent.
        let expected = (!step.after.is_null()).then_some(&step.after);
        let note = match self.read_setting(&step.bucket, &step.setting).await {
            Ok(read_back) if step.setting.same_value(read_back.as_ref(), expected) => None,
            Ok(_) => Some("the value read back differs from the value written".to_string()),
            Err(error) => Some(format!("written, but reading it back failed: {error}")),
        };
        Ok(AppliedStep {
            step,
            backups,
            written: true,
            verified: note.is_none(),
            note,
        })
    }

    /// Evaluates each written step's controls on a fresh snapshot. A step is verified
    /// when its read-back matched and every one of its controls passes (or does not apply).
    async fn verify(&self, bucket: &str, applied: &mut [AppliedStep], config: &Config) {
        let controls: Vec<String> = applied
            .iter()
            .filter(|result| {
                result.written || result.note.as_deref() == Some("already as required")
            })
            .flat_map(|result| result.step.controls.clone())
            .collect();
        let snapshot = match Box::pin(self.collect_bucket(bucket, &AccountFacts::Collect)).await {
            Ok(snapshot) => Some(snapshot),
            Err(error) => {
                warn!(bucket, error = %error, "re-reading the bucket for verification failed");
                None
            }
        };
        let ids: Vec<&str> = controls.iter().map(String::as_str).collect();
        let results = snapshot
            .as_ref()
            .map(|snapshot| evaluate_controls(snapshot, config, &ids))
            .unwrap_or_default();

        for result in applied.iter_mut() {
            let already = result.note.as_deref() == Some("already as required");
            if !result.written && !already {
                continue;
            }
            let read_back_ok = result.written && result.verified || already;
            let failing: Vec<String> = result
                .step
                .controls
                .iter()
                .filter(|id| {
                    !results.iter().any(|r| {
                        &r.id == *id && matches!(r.outcome, Outcome::Pass | Outcome::NotApplicable)
                    })
                })
                .cloned()
                .collect();
            result.verified = read_back_ok && failing.is_empty();
            if !failing.is_empty() {
                result.note = Some(format!(
                    "after the write, {} still not passing",
                    failing.join(", ")
                ));
            }
        }
    }

    /// Writes the backup to every target and returns where it went.
    async fn store_backup(
        &self,
        backup: &Backup,
        target: &crate::apply::BackupTarget,
    ) -> Result<Vec<String>, CallError> {
        let document = serde_json::to_string_pretty(backup)
            .map_err(|error| CallError::new("BackupFailed", error.to_string()))?;
        let key = backup.key();
        let mut locations = Vec::new();
        if let Some(directory) = &target.directory {
            let path = directory.join(&key);
            write_file(&path, &document).map_err(|error| {
                CallError::new("BackupFailed", format!("{}: {error}", path.display()))
            })?;
            locations.push(path.display().to_string());
        }
        if let Some(backup_bucket) = &target.bucket {
            let region = self
                .bucket_region(backup_bucket)
                .await
                .unwrap_or_else(|_| self.clients().default_region().to_owned());
            self.clients()
                .s3(&region)
                .put_object()
                .bucket(backup_bucket)
                .key(&key)
                .content_type("application/json")
                .body(document.into_bytes().into())
                .send()
                .await
                .map_err(|error| call_error(&error))?;
            locations.push(format!("s3://{backup_bucket}/{key}"));
        }
        if locations.is_empty() {
            return Err(CallError::new(
                "BackupFailed",
                "no backup target is configured; set a backup bucket or folder before writing",
            ));
        }
        Ok(locations)
    }

    /// Loads a backup from a local file, or from the backup bucket when `location`
    /// is an object key (`backups/...`) or an `s3://BUCKET/KEY` URI.
    pub async fn load_backup(
        &self,
        location: &str,
        target: &BackupTarget,
    ) -> Result<Backup, CallError> {
        let text = if let Some(rest) = location.strip_prefix("s3://") {
            let (bucket, key) = rest.split_once('/').ok_or_else(|| {
                CallError::new("InvalidBackup", format!("`{location}` has no object key"))
            })?;
            self.read_object(bucket, key).await?
        } else if Path::new(location).exists() {
            std::fs::read_to_string(location)
                .map_err(|error| CallError::new("InvalidBackup", format!("{location}: {error}")))?
        } else if let Some(bucket) = &target.bucket {
            self.read_object(bucket, location).await?
        } else {
            return Err(CallError::new(
                "InvalidBackup",
                format!("`{location}` is not a file, and no backup bucket is set to look it up in"),
            ));
        };
        serde_json::from_str(&text).map_err(|error| {
            CallError::new(
                "InvalidBackup",
                format!("{location} is not a backup: {error}"),
            )
        })
    }

    async fn read_object(&self, bucket: &str, key: &str) -> Result<String, CallError> {
        let bytes = self.read_object_bytes(bucket, key).await?;
        String::from_utf8(bytes)
            .map_err(|error| CallError::new("InvalidBackup", format!("{bucket}/{key}: {error}")))
    }

    /// Reads a whole object, from the bucket's region.
    pub async fn read_object_bytes(&self, bucket: &str, key: &str) -> Result<Vec<u8>, CallError> {
        let region = self
            .bucket_region(bucket)
            .await
            .unwrap_or_else(|_| self.clients().default_region().to_owned());
        let output = self
            .clients()
            .s3(&region)
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|error| call_error(&error))?;
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|error| CallError::new("ResponseError", error.to_string()))?;
        Ok(bytes.into_bytes().to_vec())
    }

    /// Restores a setting from a backup, after backing up the value it replaces.
    pub async fn rollback(
        &self,
        backup: &Backup,
        target: &BackupTarget,
    ) -> Result<AppliedStep, CallError> {
        let current = self.read_setting(&backup.bucket, &backup.setting).await?;
        let step = Step {
            bucket: backup.bucket.clone(),
            setting: backup.setting.clone(),
            change: bucketwarden_core::Change::Replace,
            before: current.clone(),
            after: backup.value.clone().unwrap_or(Value::Null),
            controls: Vec::new(),
            reason: format!("restore the value backed up at {}", backup.taken_at),
        };
        if backup
            .setting
            .same_value(current.as_ref(), backup.value.as_ref())
        {
            return Ok(AppliedStep {
                step,
                backups: Vec::new(),
                written: false,
                verified: true,
                note: Some("already as in the backup".to_string()),
            });
        }
        let safety = Backup {
            bucket: backup.bucket.clone(),
            setting: backup.setting.clone(),
            value: current,
            taken_at: now_iso(),
        };
        let backups = self.store_backup(&safety, target).await?;
        self.write_setting(&backup.bucket, &backup.setting, backup.value.as_ref())
            .await?;
        let note = match self.read_setting(&backup.bucket, &backup.setting).await {
            Ok(read_back)
                if backup
                    .setting
                    .same_value(read_back.as_ref(), backup.value.as_ref()) =>
            {
                None
            }
            Ok(_) => Some("the value read back differs from the backup".to_string()),
            Err(error) => Some(format!("restored, but reading it back failed: {error}")),
        };
        Ok(AppliedStep {
            step,
            backups,
            written: true,
            verified: note.is_none(),
            note,
        })
    }
}

fn not_attempted(step: &Step, reason: &str) -> AppliedStep {
    AppliedStep {
        step: step.clone(),
        backups: Vec::new(),
        written: false,
        verified: false,
        note: Some(format!("not attempted: {reason}")),
    }
}

/// Writes a backup readable only by its owner, because it can hold a bucket policy.
fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;

    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

/// Returns whether a setting can be restored to "absent" (S3 has a delete call for it).
pub fn deletable(setting: &Setting) -> bool {
    matches!(
        setting,
        Setting::BucketPolicy
            | Setting::Encryption
            | Setting::PublicAccessBlock
            | Setting::OwnershipControls
    )
}
