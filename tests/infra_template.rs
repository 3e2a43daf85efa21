//! The SAM template against the code: every function's role grants exactly the
//! calls that function makes (the lists in `bucketwarden_core::permissions`), and
//! every function is built for arm64 on provided.al2023 with cargo-lambda.

use std::collections::BTreeSet;

use bucketwarden_core::permissions::FUNCTIONS;
use serde_yaml::Value;

fn template() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).expect("template")).expect("template YAML")
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => vec![text.clone()],
        Value::Sequence(items) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Collects the actions of every Allow statement of a role's inline policies.
fn role_actions(resources: &Value, role: &str) -> BTreeSet<String> {
    let mut actions = BTreeSet::new();
    let policies = resources[role]["Properties"]["Policies"]
        .as_sequence()
        .expect("role policies");
    for policy in policies {
        for statement in policy["PolicyDocument"]["Statement"]
            .as_sequence()
            .expect("statements")
        {
            assert_eq!(
                statement["Effect"].as_str(),
                Some("Allow"),
                "{role}: {statement:?}"
            );
            for action in strings(&statement["Action"]) {
                assert!(
                    !action.contains('*'),
                    "{role} grants the wildcard action {action}"
                );
                actions.insert(action);
            }
        }
    }
    actions
}

#[test]
fn every_role_grants_exactly_its_calls() {
    let template = template();
    let resources = &template["Resources"];
    let mut checked = Vec::new();
    for (_, resource) in resources.as_mapping().expect("resources") {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .expect("binary name");
        let role = resource["Properties"]["Role"]["Fn::GetAtt"][0]
            .as_str()
            .expect("role reference");
        let granted = role_actions(resources, role);
        let (_, expected) = FUNCTIONS
            .iter()
            .find(|(name, _)| *name == binary)
            .unwrap_or_else(|| panic!("{binary} is not in permissions::FUNCTIONS"));
        let expected: BTreeSet<String> = expected.iter().map(|action| action.to_string()).collect();
        let missing: Vec<&String> = expected.difference(&granted).collect();
        let extra: Vec<&String> = granted.difference(&expected).collect();
        assert!(missing.is_empty(), "{binary}'s role lacks {missing:?}");
        assert!(
            extra.is_empty(),
            "{binary}'s role grants calls it does not make: {extra:?}"
        );
        checked.push(binary.to_string());
    }
    checked.sort();
    let mut all: Vec<String> = FUNCTIONS.iter().map(|(name, _)| name.to_string()).collect();
    all.sort();
    assert_eq!(
        checked, all,
        "every function in permissions::FUNCTIONS is in the template"
    );
}

#[test]
fn functions_build_for_arm64_with_cargo_lambda() {
    let template = template();
    assert_eq!(
        template["Globals"]["Function"]["Runtime"].as_str(),
        Some("provided.al2023")
    );
    assert_eq!(
        strings(&template["Globals"]["Function"]["Architectures"]),
        vec!["arm64".to_string()]
    );
    for (_, resource) in template["Resources"].as_mapping().expect("resources") {
        if resource["Type"].as_str() == Some("AWS::Serverless::Function") {
            assert_eq!(
                resource["Metadata"]["BuildMethod"].as_str(),
                Some("rust-cargolambda")
            );
        }
    }
}

#[test]
fn every_cargo_binary_of_a_function_is_deployed() {
    let template = template();
    let binaries: BTreeSet<String> = template["Resources"]
        .as_mapping()
        .expect("resources")
        .values()
        .filter(|resource| resource["Type"].as_str() == Some("AWS::Serverless::Function"))
        .filter_map(|resource| {
            resource["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    let functions = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../functions");
    for entry in std::fs::read_dir(functions).expect("functions folder") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .to_string();
        assert!(
            binaries.contains(&name),
            "functions/{name} is not deployed by the template"
        );
    }
}
