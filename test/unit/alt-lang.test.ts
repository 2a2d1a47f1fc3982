// detectLanguage: the language of the text around an image, by script, then by common words.
import { describe, expect, it } from 'vitest';
import { detectLanguage } from '../../src/alt/lang.js';

describe('detectLanguage', () => {
  it.each<[string, string]>([
    ['', 'en'],
    ['1234 — ∑ ⟶', 'en'],
    ['Open the settings dialog and click Save.', 'en'],
    ['Click a button', 'en'],
    ['Öffnen Sie die Einstellungen und klicken Sie auf Speichern, wenn der Dialog erscheint.', 'de'],
    ['Ouvrez les paramètres et cliquez sur Enregistrer pour valider la configuration.', 'fr'],
    ['Abra la configuración y haga clic en Guardar para aplicar los cambios del panel.', 'es'],
    ['Apri le impostazioni e fai clic su Salva per applicare le modifiche della pagina.', 'it'],
    ['Abra as configurações e clique em Salvar para aplicar as alterações com você.', 'pt'],
    ['Open de instellingen en klik op Opslaan om het venster te sluiten.', 'nl'],
    ['打开设置对话框，然后点击保存。', 'zh'],
    ['使用 kimi-vision describe 命令为截图生成说明文字。', 'zh'],
    ['設定ダイアログを開いて、保存をクリックします。', 'ja'],
    ['スクリーンショット', 'ja'],
    ['설정 대화 상자를 열고 저장을 클릭합니다.', 'ko'],
    ['Откройте настройки и нажмите «Сохранить».', 'ru'],
    ['Відкрийте налаштування та натисніть «Зберегти».', 'uk'],
    ['افتح الإعدادات وانقر على حفظ.', 'ar'],
    ['Ανοίξτε τις ρυθμίσεις και πατήστε Αποθήκευση.', 'el'],
    ['פתחו את ההגדרות ולחצו על שמירה.', 'he'],
    ['सेटिंग्स खोलें और सहेजें पर क्लिक करें।', 'hi'],
    ['เปิดการตั้งค่าแล้วคลิกบันทึก', 'th'],
    ['The API returns 打开 once in a long English sentence about many other things here.', 'en'],
  ])('%j -> %s', (text, code) => {
    expect(detectLanguage(text)).toBe(code);
  });
});
