"""Typical configurations: development, production, high performance, multi-tenant roles
and an educational platform, as options of this package."""

from __future__ import annotations

from typing import Any

from code_interpreter import RateLimitExceeded, Sandbox, create_sandbox

DEV_CONFIG: dict[str, Any] = {
    "timeout_ms": 60_000,
    "memory_limit_mb": 200,
    "enable_logging": True,
    "security_level": "moderate",
    "enable_debug_mode": True,
    "auto_cleanup": False,
}

PROD_CONFIG: dict[str, Any] = {
    "timeout_ms": 30_000,
    "memory_limit_mb": 50,
    "enable_logging": False,
    "security_level": "strict",
    "auto_cleanup": True,
    "rate_limiting": {"max_executions_per_minute": 100, "max_sandboxes_per_user": 5},
    "tenant_id": "production",
}

HIGH_PERF_CONFIG: dict[str, Any] = {
    "use_worker_pool": True,
    "max_concurrent_executions": 10,
    "worker_pool_size": 10,
    "pre_warm": 5,
    "cache_compiled_code": True,
}


def multi_tenant_sandbox(tenant_id: str, user_role: str) -> Sandbox:
    base = {"timeout_ms": 30_000, "enable_logging": True, "tenant_id": tenant_id}
    role_configs: dict[str, dict[str, Any]] = {
        "admin": {
            **base,
            "security_level": "moderate",
            "memory_limit_mb": 100,
            "max_execution_time": 15_000,
        },
        "user": {
            **base,
            "security_level": "strict",
            "memory_limit_mb": 50,
            "max_execution_time": 5000,
        },
        "guest": {
            **base,
            "security_level": "strict",
            "memory_limit_mb": 25,
            "max_execution_time": 2000,
            "rate_limiting": {"max_executions_per_minute": 10},
        },
    }
    return create_sandbox(**role_configs[user_role])


EDUCATIONAL_CONFIG: dict[str, dict[str, Any]] = {
    "student": {
        "security_level": "custom",
        "custom_security": {
            "allowed_globals": ["console", "Math", "Date", "JSON"],
            "max_code_length": 10_000,
            "max_lines": 500,
        },
        "memory_limit_mb": 30,
        "timeout_ms": 20_000,
        "max_execution_time": 5000,
        "capture_all_output": True,
    },
    "teacher": {
        "security_level": "moderate",
        "memory_limit_mb": 100,
        "timeout_ms": 60_000,
        "max_execution_time": 30_000,
    },
}


def main() -> None:
    for name, config in [
        ("development", DEV_CONFIG),
        ("production", PROD_CONFIG),
        ("high performance", HIGH_PERF_CONFIG),
    ]:
        with create_sandbox(**config) as sandbox:
            print(name, sandbox.interpret("[1, 2, 3].map(x => x * 10)"))

    guest = multi_tenant_sandbox("acme", "guest")
    admin = multi_tenant_sandbox("acme", "admin")
    print("admin timers:", admin.interpret("typeof setTimeout"))
    print("guest timers:", guest.interpret("typeof setTimeout"))
    try:
        for _ in range(20):
            guest.interpret("1 + 1")
    except RateLimitExceeded as error:
        print("guest limited:", error)
    guest.kill()
    admin.kill()

    with create_sandbox(**EDUCATIONAL_CONFIG["student"]) as student:
        result = student.execute("for (let i = 1; i <= 3; i++) console.log('step', i); 'ok'")
        print("student:", result.value, [line.text for line in result.console])
        print(
            "student Date:",
            student.interpret("typeof Date"),
            "Object:",
            student.interpret("typeof Object"),
        )
    with create_sandbox(**EDUCATIONAL_CONFIG["teacher"]) as teacher:
        print("teacher:", teacher.interpret("new Promise(r => setTimeout(() => r('graded'), 10))"))


if __name__ == "__main__":
    main()
