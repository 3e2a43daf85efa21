//! `doctor --simulate`: IAM SimulatePrincipalPolicy for the caller and a workflow's actions.

use aws_sdk_iam::types::PolicyEvaluationDecisionType;
use bucketwarden_aws::AwsContext;

/// IAM simulates at most this many actions per request.
const ACTIONS_PER_REQUEST: usize = 100;

/// Returns the actions the caller may not call, or why the simulation failed.
pub async fn denied_actions(
    aws: &AwsContext,
    caller_arn: &str,
    actions: &[&str],
) -> Result<Vec<String>, String> {
    // The shared configuration carries the endpoint override, so an emulator gets the
    // IAM calls too.
    let iam = aws_sdk_iam::Client::new(aws.clients().sdk_config());
    let principal = principal_arn(&iam, caller_arn).await?;
    let mut denied = Vec::new();
    for chunk in actions.chunks(ACTIONS_PER_REQUEST) {
        let mut request = iam
            .simulate_principal_policy()
            .policy_source_arn(&principal);
        for action in chunk {
            request = request.action_names(*action);
        }
        let output = request.send().await.map_err(|error| {
            let code = aws_sdk_iam::error::ProvideErrorMetadata::code(&error)
                .unwrap_or("no code")
                .to_string();
            format!("SimulatePrincipalPolicy failed ({code}): {error}")
        })?;
        for result in output.evaluation_results.unwrap_or_default() {
            if result.eval_decision != PolicyEvaluationDecisionType::Allowed {
                denied.push(result.eval_action_name);
            }
        }
    }
    Ok(denied)
}

/// Returns the IAM ARN to simulate: an assumed-role session stands for its role, whose ARN
/// (with its path) comes from GetRole.
async fn principal_arn(iam: &aws_sdk_iam::Client, caller_arn: &str) -> Result<String, String> {
    let Some(session) = caller_arn
        .split_once(":assumed-role/")
        .map(|(_, rest)| rest)
    else {
        return Ok(caller_arn.to_string());
    };
    let role_name = session.split('/').next().unwrap_or_default();
    let output = iam
        .get_role()
        .role_name(role_name)
        .send()
        .await
        .map_err(|error| format!("GetRole {role_name} failed: {error}"))?;
    output
        .role
        .map(|role| role.arn)
        .ok_or_else(|| format!("GetRole {role_name} answered without a role"))
}
