//! Endpoints that answer (issue "Close the admin's loop", item 2), through
//! the binary as an admin runs it: `iw-studio endpoints FILE` against a
//! stand-in vLLM server that checks a bearer token and a stand-in Ollama
//! server, both on loopback. The key's value is in no output, even when the
//! server echoes a wrong one back.

use crate::support::model_servers;

use std::path::Path;
use std::process::Command;

use model_servers::{Flavor, ModelServer};
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const KEY_VAR: &str = "IW_TEST_ENDPOINT_KEY";
const KEY: &str = "sk-iw-cli-endpoint-7d21e0";

struct Servers {
    vllm: ModelServer,
    ollama: ModelServer,
}

fn servers() -> Result<Servers, std::io::Error> {
    Ok(Servers {
        vllm: ModelServer::start(
            Flavor::OpenAi,
            &["qwen2.5-vl-7b-awq", "llava-phi3"],
            Some(KEY),
        )?,
        ollama: ModelServer::start(Flavor::Ollama, &["gemma3:27b"], None)?,
    })
}

fn config(dir: &Path, s: &Servers, ollama_defaults: &str) -> Result<String, std::io::Error> {
    let text = format!(
        "[server]\nport = 8100\n\n[[endpoints]]\nname = \"vllm-box\"\nkind = \"vllm\"\n\
         base_url = \"{}/v1\"\napi_key_env = \"{KEY_VAR}\"\ndefault_models = [\"qwen2.5-vl-7b-awq\"]\n\n\
         [[endpoints]]\nname = \"gpu-box\"\nkind = \"ollama\"\nbase_url = \"{}\"\n\
         default_models = {ollama_defaults}\n",
        s.vllm.url(),
        s.ollama.url()
    );
    let path = dir.join("chat_proxy.toml");
    std::fs::write(&path, text)?;
    Ok(path.display().to_string())
}

/// Run `iw-studio endpoints` with the key variable set to `key` (or unset).
fn endpoints(dir: &Path, key: Option<&str>, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_iw-studio"));
    cmd.current_dir(dir)
        .env("IW_STUDIO_LOG_DIR", dir.join(".logs"))
        .env_remove(KEY_VAR)
        .arg("endpoints")
        .args(args);
    if let Some(key) = key {
        cmd.env(KEY_VAR, key);
    }
    let out = cmd.output().expect("run iw-studio");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn both_kinds_answer_and_an_unserved_default_is_a_warning() -> TestResult {
    let s = servers()?;
    let dir = tempfile::tempdir()?;
    let file = config(dir.path(), &s, "[\"gemma3:27b\"]")?;
    let (code, out, err) = endpoints(dir.path(), Some(KEY), &[&file]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("vllm-box (vllm, ")
            && out.contains("serves 2 models: qwen2.5-vl-7b-awq, llava-phi3"),
        "{out}"
    );
    assert!(
        out.contains("gpu-box (ollama, ") && out.contains("serves 1 model: gemma3:27b"),
        "{out}"
    );

    let file = config(dir.path(), &s, "[\"gemma3:27b\", \"llama3.3:70b\"]")?;
    let (code, out, err) = endpoints(dir.path(), Some(KEY), &[&file, "--format", "json"]);
    assert_eq!(
        code, 1,
        "a default model not served is a warning: {out}\n{err}"
    );
    let body: Value = serde_json::from_str(&out)?;
    let list = body["endpoints"].as_array().ok_or("a list")?;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["name"], "vllm-box");
    assert_eq!(list[0]["reachable"], true);
    assert_eq!(list[0]["url"], format!("{}/v1/models", s.vllm.url()));
    assert_eq!(list[0]["api_key_env"], KEY_VAR);
    assert_eq!(list[1]["url"], format!("{}/api/tags", s.ollama.url()));
    assert_eq!(list[1]["models"], serde_json::json!(["gemma3:27b"]));
    assert_eq!(
        list[1]["warnings"],
        serde_json::json!([
            "endpoint gpu-box: default model \"llama3.3:70b\" is not among the 1 model it serves"
        ])
    );
    assert!(
        !out.contains(KEY) && !err.contains(KEY),
        "the key is never printed"
    );
    Ok(())
}

#[test]
fn a_missing_or_wrong_key_says_so_without_showing_it() -> TestResult {
    let s = servers()?;
    let dir = tempfile::tempdir()?;
    let file = config(dir.path(), &s, "[]")?;
    let (code, out, err) = endpoints(dir.path(), None, &[&file, "--name", "vllm-box"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        out.contains(&format!(
            "env var {KEY_VAR} (its api_key_env) is not set here"
        )),
        "{out}"
    );

    // The stand-in echoes the key it got, as some servers do.
    let wrong = "sk-wrong-but-secret-0042";
    let (code, out, err) = endpoints(dir.path(), Some(wrong), &[&file, "--name", "vllm-box"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(out.contains("HTTP 401"), "{out}");
    assert!(
        out.contains(&format!("the endpoint refused the key in {KEY_VAR}")),
        "{out}"
    );
    assert!(!out.contains(wrong) && !err.contains(wrong), "{out}{err}");
    assert!(
        out.contains("invalid api key '***'"),
        "masked, not dropped: {out}"
    );

    let (code, _, err) = endpoints(dir.path(), Some(KEY), &[&file, "--name", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("no endpoint named “nope”"), "{err}");
    Ok(())
}

#[test]
fn an_endpoint_that_is_down_is_named() -> TestResult {
    let dir = tempfile::tempdir()?;
    let down = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let path = dir.path().join("chat_proxy.toml");
    std::fs::write(
        &path,
        format!(
            "[[endpoints]]\nname = \"gone\"\nkind = \"openai_compatible\"\nbase_url = \"http://127.0.0.1:{down}/v1\"\n"
        ),
    )?;
    let (code, out, err) = endpoints(
        dir.path(),
        None,
        &[&path.display().to_string(), "--timeout", "2"],
    );
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        out.contains("endpoint “gone”: GET http://127.0.0.1:") && out.contains("cannot connect"),
        "{out}"
    );
    Ok(())
}
