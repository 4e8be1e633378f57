"""Audit event kinds become one list (``AuditAction``): labels only, no schema change; stored values are unchanged."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_audit_event_append_only'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('admin.add', '后台新增'), ('admin.change', '后台修改'), ('admin.delete', '后台删除'), ('admin.bootstrap', '创建或恢复初始管理员'), ('directory.load', '导入机构与人员名录'), ('complaint.link_repeat', '关联重复投诉'), ('customer.unmask', '查看客户完整号码'), ('customer.lookup', '按号码查找客户'), ('pii.rekey', '个人信息更换密钥'), ('retention_apply', '执行保存期限清理'), ('retention_dry_run', '保存期限清理试算'), ('regulator_inquiry_open', '登记监管问询'), ('regulator_inquiry_close', '结束监管问询'), ('workflow.due_dates_recomputed', '重算办理期限'), ('recording.upload', '上传录音'), ('recording.link', '录音关联投诉'), ('recording.retry', '重新转写录音'), ('recording.play_original', '播放原始录音'), ('recording.flag', '标记典型录音'), ('recording.unflag', '取消典型录音'), ('recording.suspect_dismiss', '排除疑似未遮盖信息'), ('recording.redaction_release', '放行去标识录音'), ('recording.redaction_reject', '退回去标识录音'), ('recording.transcript_unmasked', '查看未遮盖转写'), ('analytics.export', '导出分析报表'), ('analytics.improvement_create', '新建整改事项'), ('analytics.improvement_status', '更新整改状态')], db_index=True, max_length=50, verbose_name='操作'),
        ),
    ]
